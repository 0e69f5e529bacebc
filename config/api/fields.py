"""Serializer fields that take JSON at its word."""

from typing import Any

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A text field that accepts only JSON strings: DRF's own also turns numbers into text."""

    default_error_messages = {"invalid": "Send a string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


class StrictEmailField(StrictCharField, serializers.EmailField):
    """An email address that must be sent as a JSON string."""
