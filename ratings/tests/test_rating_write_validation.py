"""`plain_rating_write`, the PUT's validation without the serializer's fields, never disagrees with
`RatingWriteSerializer`: whatever it accepts, the serializer accepts with the same validated data,
and whatever the serializer refuses, it leaves to the serializer (whose errors are the 400s)."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ratings.models import REVIEW_MAX_LENGTH, SCORES
from ratings.serializers import RatingWriteSerializer, plain_rating_write

SCORE_LIKE = st.one_of(
    st.sampled_from([float(score) for score in SCORES] + [int(score) for score in SCORES if score == int(score)]),
    st.sampled_from([str(score) for score in SCORES] + [f"{score:.1f}" for score in SCORES]),
    st.sampled_from([0, 5.5, 4.25, -1, True, False, None, "", " 4", "4.50", "+4", "4e0", "NaN", "inf", [4], {"a": 4}]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=6),
)
REVIEW_LIKE = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from(["a", " ", "é", "\x00", "\ud800", "\udfff", "🎬"]), max_size=5),
    st.sampled_from(["x" * REVIEW_MAX_LENGTH, "x" * (REVIEW_MAX_LENGTH + 1), "é" * (REVIEW_MAX_LENGTH + 1), "\x00"]),
    st.integers(),
    st.booleans(),
    st.lists(st.text(max_size=2), max_size=2),
)
BODIES = st.one_of(
    st.fixed_dictionaries({"score": SCORE_LIKE}, optional={"review": REVIEW_LIKE}),
    st.fixed_dictionaries({"score": SCORE_LIKE, "review": REVIEW_LIKE}, optional={"other": st.integers()}),
    st.fixed_dictionaries({}, optional={"review": REVIEW_LIKE}),
    st.lists(st.integers(), max_size=2),
    st.none(),
    st.text(max_size=3),
)


def serializer_answer(data):
    write = RatingWriteSerializer(data=data)
    return write.validated_data if write.is_valid() else None


@settings(max_examples=1500, deadline=None)
@given(BODIES)
def test_the_plain_path_accepts_only_what_the_serializer_accepts_and_validates_it_alike(data):
    plain = plain_rating_write(data)
    if plain is not None:
        expected = serializer_answer(data)
        assert expected is not None
        assert plain == dict(expected)
        assert [type(value) for value in plain.values()] == [type(value) for value in expected.values()]
        assert str(plain["score"]) == str(expected["score"])  # the same Decimal, digits included


@pytest.mark.parametrize("score", [*(float(s) for s in SCORES), *(str(s) for s in SCORES), 1, 2, 3, 4, 5, "4.0"])
@pytest.mark.parametrize("review", [None, "", "A fine film.", "Amélie 🎬", "x" * REVIEW_MAX_LENGTH], ids=str)
def test_the_bodies_clients_send_take_the_plain_path(score, review):
    for body in ({"score": score, "review": review}, {"score": score}):
        plain = plain_rating_write(body)
        assert plain is not None
        assert plain == dict(serializer_answer(body))
        assert plain["score"] in SCORES and plain["score"] == plain["score"].quantize(Decimal("0.1"))


@pytest.mark.parametrize(
    "body",
    [
        {"score": True},  # True == 1, the score 1.0, but a boolean is refused
        {"score": 4.25},
        {"score": "4.50"},
        {"score": 4, "review": 7},
        {"score": 4, "review": "x" * (REVIEW_MAX_LENGTH + 1)},
        {"score": 4, "review": "nul \x00"},
        {"score": 4, "review": "lone \ud800"},
        {"review": "no score"},
        {"score": 4, "extra": 1},  # the serializer ignores extra keys: it decides
        [{"score": 4}],
        "score=4",
    ],
    ids=lambda body: repr(body)[:32],
)
def test_anything_else_is_left_to_the_serializer(body):
    assert plain_rating_write(body) is None
