"""Serializer fields that take JSON at its word."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A text field that accepts only JSON strings: DRF's own also turns numbers into text."""

    not_a_string = "Send this as a JSON string."

    def to_internal_value(self, data: Any) -> str:
        # Raised here rather than through `default_error_messages["invalid"]`, which would also
        # replace the message of subclasses' own `invalid` (EmailField's "Enter a valid email").
        if not isinstance(data, str):
            raise serializers.ValidationError(self.not_a_string, code="invalid")
        return str(super().to_internal_value(data))


class StrictEmailField(StrictCharField, serializers.EmailField):
    """An email address that must be sent as a JSON string (EmailField's own message otherwise)."""


# A JWT in compact serialisation: three base64url parts separated by dots.
JWT_PATTERN = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$"


@extend_schema_field({"type": "string", "pattern": JWT_PATTERN, "description": "A JSON Web Token."})
class TokenField(StrictCharField):
    """A token sent in a body. Its shape is documented; whether it is valid is the view's to say
    (simplejwt answers a 401 for a malformed, expired or revoked token)."""
