"""`?ordering=` that reads `title, -year` like `title,-year`: people put spaces after commas."""

from typing import Any

from django_filters import rest_framework as filters
from django_filters.fields import BaseCSVField


class StrippedCSVField(BaseCSVField):
    """A comma-separated field that ignores blanks around each value."""

    def clean(self, value: Any) -> Any:
        if isinstance(value, list):
            value = [item.strip() if isinstance(item, str) else item for item in value]
        return super().clean(value)


class SpacedOrderingFilter(filters.OrderingFilter):
    """django-filter's OrderingFilter, with blanks around each comma-separated field ignored."""

    base_field_class = StrippedCSVField
