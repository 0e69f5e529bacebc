"""A user's rated-movies list (public and `me`) answers, byte for byte, what `RatedMovieSerializer`
and DRF's renderer answered before the row path (`serializer_paths.py` keeps that as a reference)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from movies.tests.factories import MovieFactory
from movies.tests.helpers import assert_same_bytes as same_bytes
from ratings.models import SCORES
from ratings.tests.factories import RatingFactory

pytestmark = pytest.mark.django_db

ODD_TEXT = [
    "Amélie",
    'The "Quoted" \\ backslash',
    "Line\u2028and paragraph\u2029separators",
    "Emoji 🎬🍿 千と千尋の神隠し",
    "Controls \x01\x1f and </script>",
    "",
]


@pytest.fixture
def rated(user):
    now = timezone.now()
    for n, score in enumerate(sorted(SCORES)):
        RatingFactory.create(
            user=user,
            movie=MovieFactory.create(title=ODD_TEXT[n % len(ODD_TEXT)] or "Plain", year=None if n % 3 else 1990 + n),
            score=Decimal(score),
            review=ODD_TEXT[(n + 2) % len(ODD_TEXT)],
            rated_at=now - timedelta(days=30 - n, microseconds=n),
            updated_at=now - timedelta(days=3, seconds=n),
        )
    return user


def assert_same_bytes(client, settings, url, params, accept="application/json"):
    return same_bytes(client, settings, url, params, accept, reference="ratings.tests.serializer_paths")


@pytest.mark.parametrize(
    "params",
    [{}, {"page_size": 3, "page": 2}, {"ordering": "score"}, {"ordering": "-movie__title"}, {"min_score": "3"}],
)
def test_the_public_and_own_rated_lists_are_byte_for_byte_the_serializers(api_client, settings, rated, params):
    for client, url in (
        (api_client, reverse("user-ratings", args=[rated.username])),
        (client_for(rated), reverse("my-ratings")),
    ):
        for accept in ("application/json", "application/json; version=2"):
            content = assert_same_bytes(client, settings, url, params, accept)
            assert content.startswith(b'{"count":')


def test_the_compared_bytes_hold_the_odd_text_and_every_score(api_client, settings, rated):
    url = reverse("user-ratings", args=[rated.username])
    content = assert_same_bytes(api_client, settings, url, {"page_size": 100})
    assert b"\\u2028" in content and "🎬".encode() in content and b'\\"Quoted\\"' in content
    assert b'"score":0.5' in content and b'"score":4.0' in content and b'"score":5.0' in content
