"""Strict parsing of query parameters: an invalid value is a 400 naming the parameter."""

from django.http import QueryDict
from rest_framework.exceptions import ValidationError


def positive_int(params: QueryDict, name: str, *, default: int, maximum: int | None = None) -> int:
    """Read a positive integer query parameter; clamp it to `maximum` when one is given.

    A missing or blank parameter gives `default`; anything else that is not a whole number of
    at least 1 is a 400 whose error names the parameter.
    """
    raw = params.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: [f"Must be a whole number of at least 1, not {raw!r}."]}) from None
    if value < 1:
        raise ValidationError({name: [f"Must be a whole number of at least 1, not {raw!r}."]})
    return min(value, maximum) if maximum is not None else value


def text(params: QueryDict, name: str) -> str:
    """Read a free-text query parameter, trimmed; NUL characters (which no database text column
    can hold) are a 400 naming the parameter."""
    value = params.get(name, "").strip()
    if "\x00" in value:
        raise ValidationError({name: ["Null characters are not allowed."]})
    return value
