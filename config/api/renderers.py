"""The API's JSON renderer: DRF's `JSONRenderer`, byte for byte, written by orjson.

DRF renders with `json.dumps` (compact separators, `ensure_ascii=False`, NaN refused) through
its encoder's `default` for Decimals, datetimes and the like, then escapes U+2028 and U+2029.
orjson writes the same JSON for str, int, bool, None, dict, list and tuple (keys in insertion
order, the same escapes for quotes, backslashes and control characters), a few times faster.
Where the two could differ this renderer produces DRF's bytes itself or lets DRF render:

- Decimals: DRF writes `float(value)` as Python does (`repr`); here the same text, as a fragment.
- Datetimes, dates, times, timedeltas, UUIDs, IP addresses and lazy strings: DRF's encoder
  turns them into text, here too (the same function).
- Floats: orjson writes Python's text except for magnitudes below 1e-4 (`0.00001` for `1e-05`,
  `1e-7` for `1e-07`) and writes NaN and infinities as `null` where DRF raises. A response whose
  bytes show one of those formats, or that has a `null` and a non-finite float, is rendered by DRF.
- Anything else orjson cannot write (other types, non-string keys, integers beyond 64 bits,
  nesting deeper than orjson's limit), an `indent` asked for in the Accept header, or DRF
  settings other than the defaults this project uses: DRF renders the response.

`config/tests/test_renderers.py` compares both renderers' bytes on every case above.
"""

import datetime
import decimal
import ipaddress
import math
import uuid
from typing import Any

import orjson
from django.utils.functional import Promise
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

# What DRF's encoder turns into text; its own `default` does it here too.
_AS_DRF_TEXT = (
    Promise,
    datetime.date,  # datetime.datetime included
    datetime.time,
    datetime.timedelta,
    uuid.UUID,
    ipaddress.IPv4Address,
    ipaddress.IPv6Address,
    ipaddress.IPv4Network,
    ipaddress.IPv6Network,
    ipaddress.IPv4Interface,
    ipaddress.IPv6Interface,
)
_drf_default = JSONEncoder().default

_DIGITS = frozenset(b"0123456789")
_DIGITS_AND_POINT = _DIGITS | {ord(".")}

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class _NotLikeDRF(TypeError):
    """A value this renderer does not write the way DRF does: DRF renders the response."""


def _default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        number = float(value)
        if not math.isfinite(number):
            raise _NotLikeDRF("non-finite")  # DRF refuses it (STRICT_JSON): let it say so
        return orjson.Fragment(float.__repr__(number))
    if isinstance(value, _AS_DRF_TEXT):
        return _drf_default(value)
    raise _NotLikeDRF(type(value).__name__)


def _float_text_unlike_python(content: bytes) -> bool:
    """Whether orjson wrote a float as Python does not: with a one-digit negative exponent (`1e-7`,
    Python `1e-07`) or as a plain fraction below 1e-4 (`0.00001`, Python `1e-05`).

    Plain searches, not a regular expression: titles have `e-` often ("Re-Animator"), floats
    written like this almost never, and a regular expression scanning every byte costs more
    than orjson's whole rendering.
    """
    end = len(content)
    at = content.find(b"e-")
    while at != -1:
        if (
            at > 0
            and content[at - 1] in _DIGITS
            and at + 2 < end
            and content[at + 2] in _DIGITS
            and (at + 3 == end or content[at + 3] not in _DIGITS)
        ):
            return True
        at = content.find(b"e-", at + 2)
    at = content.find(b"0.0000")
    while at != -1:
        if at == 0 or content[at - 1] not in _DIGITS_AND_POINT:
            return True
        at = content.find(b"0.0000", at + 1)
    return False


def _has_non_finite_float(value: Any) -> bool:
    """Whether a float NaN or infinity is anywhere in `value` (orjson writes them as `null`).

    A loop over a stack rather than recursion: about 0.1 µs a value, a fifth of a recursive walk.
    """
    stack = [value]
    pop, push_all = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is str or kind is int or item is None or kind is bool:
            continue
        if kind is dict:
            push_all(item.values())
        elif kind is list or kind is tuple:
            push_all(item)
        elif isinstance(item, float):
            if not math.isfinite(item):
                return True
        elif isinstance(item, dict):
            push_all(item.values())
        elif isinstance(item, list | tuple):
            push_all(item)
    return False


def _escape_line_separators(content: bytes) -> bytes:
    """U+2028 and U+2029 as `\\u2028`/`\\u2029`, as DRF writes them (JSON inside JavaScript)."""
    if b"\xe2\x80" not in content:
        return content
    return content.replace("\u2028".encode(), b"\\u2028").replace("\u2029".encode(), b"\\u2029")


def render_json(data: Any, *, floats: bool = True) -> bytes | None:
    """`data` as DRF's JSONRenderer writes it with this project's settings; None where only DRF's
    own renderer can say (it then renders, or raises, exactly as before).

    `floats=False` is the caller's word that every float in `data` is finite and either 0 or at
    least 1e-4 in magnitude, which orjson writes as Python does: the checks are skipped.
    """
    try:
        content = orjson.dumps(data, default=_default, option=_OPTIONS)
    except (orjson.JSONEncodeError, _NotLikeDRF):
        return None
    if floats and (_float_text_unlike_python(content) or (b"null" in content and _has_non_finite_float(data))):
        return None
    return _escape_line_separators(content)


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer, with orjson writing the bytes wherever they are the same (all but rare
    cases, which DRF's own code renders).

    A view whose responses hold only plain floats (finite, and 0 or at least 1e-4 in magnitude,
    as the movie statistics are; Decimals are always fine) says so with `plain_floats_only = True`,
    and its responses skip the float checks.
    """

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if data is None:
            return b""
        renderer_context = renderer_context or {}
        # The only settings orjson can match: DRF's defaults, which this project keeps.
        plain = self.compact and not self.ensure_ascii and self.strict
        if plain and self.get_indent(accepted_media_type or "", renderer_context) is None:
            floats = not getattr(renderer_context.get("view"), "plain_floats_only", False)
            content = render_json(data, floats=floats)
            if content is not None:
                return content
        return super().render(data, accepted_media_type, renderer_context)
