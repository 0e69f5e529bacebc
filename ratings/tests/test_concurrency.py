"""Real threads against PostgreSQL: concurrent writers leave exact statistics and one row per pair."""

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.urls import reverse

from conftest import client_for, run_in_threads
from movies.tests.factories import MovieFactory
from ratings.models import Rating
from ratings.services import statistics_recompute
from ratings.tests.conftest import assert_statistics_match_rows
from users.tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres(reason="row locks and real concurrency need PostgreSQL (DATABASE_URL)"),
]


def test_many_users_rating_one_movie_at_once_give_exact_statistics():
    movie = MovieFactory.create()
    users = UserFactory.create_batch(16)
    scores = [Decimal(n % 10 + 1) / 2 for n in range(16)]
    clients = [client_for(user) for user in users]
    url = reverse("movie-own-rating", kwargs={"movie_id": movie.pk})

    def put(client, score):
        return lambda: client.put(url, {"score": str(score)}, format="json").status_code

    statuses = run_in_threads([put(c, s) for c, s in zip(clients, scores, strict=True)])
    assert statuses == [201] * 16
    assert_statistics_match_rows(movie)
    assert movie.ratings_count == 16
    assert movie.ratings_sum == sum(scores)
    assert statistics_recompute().movies == 0


def test_one_user_sending_many_puts_at_once_leaves_one_row_and_no_500():
    movie = MovieFactory.create()
    client = client_for(UserFactory.create())
    url = reverse("movie-own-rating", kwargs={"movie_id": movie.pk})
    scores = [Decimal(n % 10 + 1) / 2 for n in range(12)]

    def put(score):
        return lambda: client.put(url, {"score": str(score)}, format="json").status_code

    statuses = run_in_threads([put(s) for s in scores])
    assert sorted(int(str(status)) for status in statuses) == [200] * 11 + [201]
    assert Rating.objects.filter(movie=movie).count() == 1
    assert_statistics_match_rows(movie)
    assert movie.ratings_count == 1


def test_mixed_writers_and_deleters_leave_no_drift():
    movies = MovieFactory.create_batch(3)
    users = UserFactory.create_batch(8)

    def rate_then_delete(client, url):
        return lambda: (client.put(url, {"score": 3}, format="json").status_code, client.delete(url).status_code)

    def rate(client, url, score):
        return lambda: (client.put(url, {"score": score}, format="json").status_code,)

    work: list[Callable[[], object]] = []
    for index, user in enumerate(users):
        client = client_for(user)
        for movie in movies:
            url = reverse("movie-own-rating", kwargs={"movie_id": movie.pk})
            work.append(rate_then_delete(client, url) if index % 3 == 0 else rate(client, url, (index % 10 + 1) / 2))
    results = run_in_threads(work)
    assert not [r for r in results if isinstance(r, Exception)]
    # Every write was accepted: a service refusing them all would leave no drift either.
    expected = ["(201, 204)"] * 3 * 3 + ["(201,)"] * 5 * 3  # users 0, 3 and 6 delete; the other five keep
    assert sorted(map(str, results)) == sorted(expected)
    assert Rating.objects.count() == 5 * 3
    drift = statistics_recompute()
    assert (drift.movies, drift.users) == (0, 0)
