"""The caller's own rating (GET and PUT of `/api/movies/{id}/rating/`) answers, byte for byte, what
the version's own-rating serializer and DRF's renderer answered before the row path
(`serializer_paths.py` keeps that as a reference)."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.urls import reverse

from conftest import client_for
from movies.tests.factories import MovieFactory
from movies.tests.helpers import assert_same_bytes
from ratings import services
from ratings.models import SCORES
from ratings.tests.factories import RatingFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REFERENCE = "ratings.tests.serializer_paths"
ACCEPTS = ["application/json", "application/json; version=2"]
ZONES = ["UTC", "America/Sao_Paulo", "Asia/Kolkata"]
# A moment with microseconds and one without (isoformat then leaves them out).
MOMENTS = [
    datetime.datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=datetime.UTC),
    datetime.datetime(2026, 10, 25, 0, 59, 59, tzinfo=datetime.UTC),
]
ODD_TITLES = [
    "Amélie",
    'The "Quoted" \\ backslash',
    "Line\u2028and\u2029para",
    "Emoji 🎬 千と千尋",
    "Ctl \x01 </script>",
]


def url(movie_id: int) -> str:
    return reverse("movie-own-rating", kwargs={"movie_id": movie_id})


def put_both(client, settings, monkeypatch, path, body, accept, moment) -> tuple[int, bytes]:
    """The PUT's status and bytes on the real route, after checking that the reference route answers
    the same for the same write at the same moment (each write rolled back after it answered)."""
    monkeypatch.setattr(services, "timezone", SimpleNamespace(now=lambda: moment))
    real = settings.ROOT_URLCONF
    answers = []
    for urlconf in (real, REFERENCE):
        settings.ROOT_URLCONF = urlconf
        try:
            with transaction.atomic():
                response = client.put(path, body, format="json", HTTP_ACCEPT=accept)
                transaction.set_rollback(True)
        finally:
            settings.ROOT_URLCONF = real
        answers.append((response.status_code, bytes(response.content)))
    assert answers[0] == answers[1]
    return answers[0]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("accept", ACCEPTS)
def test_a_put_answers_the_serializers_bytes_when_it_creates_replaces_or_changes_nothing(
    settings, monkeypatch, zone, accept
):
    settings.TIME_ZONE = zone
    user = UserFactory.create()
    client = client_for(user)
    # Before the write 7 ratings summing 21: the first PUT of 4 makes the mean 25 / 8 = 3.125, which
    # rounds half-up to 3.13 (half-even would say 3.12).
    movie = MovieFactory.create(title="Amélie", year=None, ratings_count=7, ratings_sum=Decimal("21.0"))
    fresh = MovieFactory.create(title="Fresh", year=2001)  # no rating yet: the mean is the score
    held = MovieFactory.create(title=ODD_TITLES[1], year=1977)
    RatingFactory.create(
        user=user, movie=held, score=Decimal("2.5"), review="held", rated_at=MOMENTS[1] - datetime.timedelta(days=9)
    )
    held.ratings_count, held.ratings_sum = 3, Decimal("7.5")
    held.save()
    user.ratings_count, user.ratings_sum = 1, Decimal("2.5")  # the statistics of the held rating
    user.save()
    for moment in MOMENTS:
        for movie_id, body, expected in [
            (movie.pk, {"score": 4}, 201),  # created
            (fresh.pk, {"score": "0.5", "review": ODD_TITLES[2]}, 201),
            (held.pk, {"score": 5.0, "review": "held"}, 200),  # replaced: the score
            (held.pk, {"score": 2.5, "review": ODD_TITLES[3]}, 200),  # replaced: only the review
            (held.pk, {"score": "2.5", "review": "held"}, 200),  # the same again: nothing changes
        ]:
            status, content = put_both(client, settings, monkeypatch, url(movie_id), body, accept, moment)
            assert status == expected
            assert content.startswith(b'{"movie":{"id":')
    assert (
        b'"average_rating":3.13'
        in put_both(client, settings, monkeypatch, url(movie.pk), {"score": 4}, "application/json", MOMENTS[0])[1]
    )


@pytest.mark.parametrize("accept", ACCEPTS)
def test_every_score_and_odd_text_is_shown_as_the_serializer_shows_it(settings, monkeypatch, user, accept):
    client = client_for(user)
    for n, score in enumerate(sorted(SCORES)):
        movie = MovieFactory.create(
            title=ODD_TITLES[n % len(ODD_TITLES)], year=1900 + n, ratings_count=n, ratings_sum=Decimal(n) * score
        )
        body = {"score": float(score), "review": ODD_TITLES[(n + 1) % len(ODD_TITLES)] * (n + 1)}
        put_both(client, settings, monkeypatch, url(movie.pk), body, accept, MOMENTS[n % 2])


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("accept", ACCEPTS)
def test_a_get_of_ones_rating_answers_the_serializers_bytes(settings, user, zone, accept):
    settings.TIME_ZONE = zone
    client = client_for(user)
    for n, moment in enumerate(MOMENTS):
        movie = MovieFactory.create(title=ODD_TITLES[n], year=None if n else 1995, ratings_count=3 * n + 8)
        movie.ratings_sum = Decimal("25.0") if n == 0 else Decimal("0.5") * movie.ratings_count
        movie.save()
        RatingFactory.create(
            user=user, movie=movie, score=Decimal("4.5"), review=ODD_TITLES[n + 2], rated_at=moment, updated_at=moment
        )
        content = assert_same_bytes(client, settings, url(movie.pk), {}, accept, reference=REFERENCE)
        assert content.startswith(b'{"movie":{"id":')
