"""The API's renderer writes exactly DRF's JSONRenderer's bytes (config.api.renderers)."""

import datetime
import decimal
import ipaddress
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import renderers

from config.api import renderers as fast

drf = renderers.JSONRenderer()
ours = fast.JSONRenderer()


def drf_bytes(data, media_type="application/json"):
    try:
        return drf.render(data, media_type)
    except (TypeError, ValueError) as exc:  # what DRF raises, the renderer must raise too
        return type(exc)


def our_bytes(data, media_type="application/json"):
    try:
        return ours.render(data, media_type)
    except (TypeError, ValueError) as exc:
        return type(exc)


def test_the_api_renders_with_this_renderer(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] == ["config.api.renderers.JSONRenderer"]


ODD_TEXT = [
    "Amélie (2001)",
    'He said "no" \\ then left',
    "line\u2028separator and paragraph\u2029separator",
    "emoji 🎬🍿 and CJK 千と千尋の神隠し",
    "controls \x00\x01\x08\x09\x0a\x0c\x0d\x1f\x7f\x80\x9f",
    "</script><script>alert(1)</script>",
    "right-to-left \u202e and zero width \u200b\ufeff",
    "".join(chr(code) for code in range(0x00, 0x100)),
]


@pytest.mark.parametrize(
    "data",
    [{"title": text, "genres": [text, {"name": text}]} for text in ODD_TEXT]
    + [
        # Decimals, as DRF's DecimalField gives them with COERCE_DECIMAL_TO_STRING off.
        [decimal.Decimal(text) for text in ("0.50", "3.75", "4.00", "5.00", "3.33", "-0.0", "1E+20", "1E-7")],
        [decimal.Decimal("0.00001"), decimal.Decimal("123456789012345678901234567890.123")],
        # Floats, where orjson's text differs from Python's (below 1e-4) and where it does not.
        [0.0, -0.0, 0.1 + 0.2, 1e16, 1e-4, 1.5e300, 5e-324, 123456789.125],
        [1e-5],
        [2.5e-7, "Re-Animator"],
        {"similarity": 0.00005},
        # Datetimes as DRF's encoder writes them (DRF's fields send text already).
        {
            "utc": datetime.datetime(2024, 2, 29, 23, 59, 59, 123456, tzinfo=datetime.UTC),
            "paris": datetime.datetime(2024, 7, 1, 12, 0, tzinfo=ZoneInfo("Europe/Paris")),
            "naive": datetime.datetime(2024, 7, 1, 12, 0, 0, 1),
            "date": datetime.date(1895, 12, 28),
            "time": datetime.time(1, 2, 3, 4),
            "duration": datetime.timedelta(days=1, seconds=1.5),
        },
        {"id": uuid.UUID("12345678-1234-5678-1234-567812345678"), "ip": ipaddress.ip_address("::1")},
        {"lazy": gettext_lazy("This field is required.")},
        # Integers and the edges of orjson's range, booleans, null, empty containers, tuples.
        [0, -1, 2**63 - 1, -(2**63), 2**64 - 1, 2**64, -(2**63) - 1, 10**30, True, False, None, [], {}, ()],
        # Keys DRF writes as text and orjson refuses, and types only DRF's encoder knows.
        {1: "one", None: "none", False: "no", 2.5: "float"},
        {"set": {1}, "bytes": b"abc", "frozen": frozenset()},
        # What DRF refuses: NaN and infinities, as floats and as Decimals; an aware time.
        [float("nan")],
        {"a": None, "b": [float("inf")]},
        [decimal.Decimal("NaN")],
        [datetime.time(1, 2, tzinfo=datetime.UTC)],
        [None, 1.5, -float("inf")],
        # Lone surrogates cannot be UTF-8: DRF fails, so must this renderer.
        ["\ud800"],
        {"nested": [[[[{"deep": [1, 2, {"x": "y"}]}]]]]},
    ],
)
def test_the_bytes_are_drfs_for_every_kind_of_value(data):
    assert our_bytes(data) == drf_bytes(data)


def test_very_deep_nesting_is_rendered_as_drf_renders_it():
    data: list = []
    for _ in range(300):  # beyond orjson's depth limit, within json's
        data = [data]
    assert our_bytes(data) == drf_bytes(data)


def test_an_indent_asked_for_in_the_accept_header_is_honoured_as_drf_does():
    data = {"title": "Heat", "genres": ["Crime"], "rating": decimal.Decimal("3.75")}
    assert our_bytes(data, "application/json; indent=4") == drf_bytes(data, "application/json; indent=4")
    assert b"\n    " in our_bytes(data, "application/json; indent=4")


def test_no_data_is_an_empty_body():
    assert ours.render(None) == b""


def test_orjson_writes_the_common_cases_itself():
    """The fast path is taken where it can be (it is not DRF answering every time)."""
    data = {"title": "Amélie\u2028", "average": decimal.Decimal("3.75"), "year": None, "genres": ["Drama"]}
    assert fast.render_json(data) == drf.render(data)
    assert fast.render_json([1e-5]) is None  # Python writes 1e-05: DRF's renderer answers


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=5), children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_any_json_like_value_renders_as_drf_renders_it(data):
    assert our_bytes(data) == drf_bytes(data)
