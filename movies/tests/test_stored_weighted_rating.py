"""PostgreSQL stores each movie's exact weighted rating with the stored C, indexed in top's order."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from conftest import client_for
from movies.models import CatalogueMean, Movie
from movies.selectors import (
    global_mean_rating,
    top_movies,
    weighted_rating,
)
from movies.tests.factories import MovieFactory
from movies.tests.helpers import forget_global_mean
from users.tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres(reason="the stored weighted rating is kept by a PostgreSQL trigger"),
]


def exact(movie: Movie, mean: Decimal | None) -> Decimal | None:
    return weighted_rating(ratings_count=movie.ratings_count, ratings_sum=movie.ratings_sum, global_mean=mean)


def assert_stored_values_are_exact() -> None:
    mean = CatalogueMean.objects.get(pk=1).mean
    for movie in Movie.objects.all():
        expected = exact(movie, mean)
        if expected is None:
            assert movie.weighted_rating is None
        else:
            assert movie.weighted_rating is not None
            assert abs(movie.weighted_rating - expected) < Decimal("1e-25"), movie


def test_the_stored_weighted_rating_follows_every_write_with_the_stored_mean():
    movies = MovieFactory.create_batch(3)
    global_mean_rating()  # stores C (no ratings yet: None)
    users = UserFactory.create_batch(3)
    for user, score in zip(users, ("4.5", "2.0", "3.5"), strict=True):
        for movie in movies[:2]:
            url = reverse("movie-own-rating", kwargs={"movie_id": movie.pk})
            assert client_for(user).put(url, {"score": score}, format="json").status_code == 201
    forget_global_mean()
    mean = global_mean_rating()  # refreshes C and rewrites the stored values
    assert mean == CatalogueMean.objects.get(pk=1).mean == Decimal("10.0") / 3
    assert_stored_values_are_exact()
    url = reverse("movie-own-rating", kwargs={"movie_id": movies[0].pk})
    assert client_for(users[0]).put(url, {"score": "0.5"}, format="json").status_code == 200
    assert client_for(users[1]).delete(url).status_code == 204
    assert_stored_values_are_exact()  # the trigger used the stored C, not a newer one
    assert Movie.objects.get(pk=movies[2].pk).weighted_rating is None


def test_a_changed_prior_rewrites_the_stored_values(settings):
    MovieFactory.create(ratings_count=4, ratings_sum=Decimal("18.0"))
    MovieFactory.create(ratings_count=1, ratings_sum=Decimal("1.0"))
    global_mean_rating()
    settings.RATING_PRIOR = 3
    forget_global_mean()
    global_mean_rating()
    assert CatalogueMean.objects.get(pk=1).prior == 3
    assert_stored_values_are_exact()


def test_top_reads_the_weighted_index_in_its_own_order():
    MovieFactory.create_batch(5, ratings_count=3, ratings_sum=Decimal("9.0"))
    query = top_movies(queryset=Movie.objects.all(), global_mean=None, min_ratings=1, limit=20).query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "movies_movie_weighted_idx" in plan
    assert "Sort" not in plan.split("Limit", 1)[1].split("->")[1]


def test_the_default_prior_is_the_configured_one():
    MovieFactory.create(ratings_count=1, ratings_sum=Decimal("2.0"))
    global_mean_rating()
    assert CatalogueMean.objects.get(pk=1).prior == settings.RATING_PRIOR
