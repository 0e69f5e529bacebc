"""Strict parsing of query parameters: an invalid value is a 400 naming the parameter."""

from django.http import QueryDict
from rest_framework.exceptions import ErrorDetail, ValidationError


def positive_int(
    params: QueryDict, name: str, *, default: int, maximum: int | None = None, upper: int | None = None
) -> int:
    """Read a positive integer query parameter; clamp it to `maximum` when one is given.

    A missing or blank parameter gives `default`. A value that is no whole number is a 400 with
    code `invalid`, one below 1 `min_value`, one above `upper` (a bound that is refused, not
    clamped) `max_value`: the codes django-filter's form fields give the lists' parameters.
    """
    raw = params.get(name, "").strip()
    if not raw:
        return default
    allowed = f"a whole number from 1 to {upper}" if upper is not None else "a whole number of at least 1"
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: [ErrorDetail(f"Give {allowed}, not {raw!r}.", code="invalid")]}) from None
    if value < 1:
        raise ValidationError({name: [ErrorDetail(f"Give {allowed}, not {raw!r}.", code="min_value")]})
    if upper is not None and value > upper:
        raise ValidationError({name: [ErrorDetail(f"Give {allowed}, not {raw!r}.", code="max_value")]})
    return min(value, maximum) if maximum is not None else value


def text(params: QueryDict, name: str) -> str:
    """Read a free-text query parameter, trimmed; NUL characters (which no database text column
    can hold) are a 400 naming the parameter."""
    value = params.get(name, "").strip()
    if "\x00" in value:
        raise ValidationError({name: ["Null characters are not allowed."]})
    return value
