from decimal import Decimal

import pytest
from django.db.models import F

from conftest import client_for
from movies.models import Movie
from movies.services import curators_group_ensure
from movies.tests.factories import GenreFactory
from users.tests.factories import UserFactory


@pytest.fixture
def curator(db):
    """Staff in the Curators group (as the migration made it), with no permission of their own."""
    user = UserFactory.create(is_staff=True)
    user.groups.add(curators_group_ensure())
    return user


@pytest.fixture
def curator_client(curator):
    return client_for(curator)


@pytest.fixture
def staff_without_permissions_client(db):
    return client_for(UserFactory.create(is_staff=True))


@pytest.fixture
def drama(db):
    return GenreFactory.create(name="Drama", slug="drama")


@pytest.fixture
def crime(db):
    return GenreFactory.create(name="Crime", slug="crime")


@pytest.fixture
def rate(db):
    """Rate a movie once per score, each by a new user: `rate(movie, "4.5", "3.0")`.

    The movie's and the users' stored statistics are kept consistent with the rows, as the
    ratings service would (movies sits below ratings and cannot call it). The rows go through
    the movie's reverse relation, the way movies' own selectors read them.
    """

    def add(movie, *scores: str) -> None:
        for score in map(Decimal, scores):
            user = UserFactory.create(ratings_count=1, ratings_sum=score)
            movie.ratings.create(user=user, score=score)
        Movie.objects.filter(pk=movie.pk).update(
            ratings_count=F("ratings_count") + len(scores), ratings_sum=F("ratings_sum") + sum(map(Decimal, scores))
        )
        movie.refresh_from_db(fields=["ratings_count", "ratings_sum"])

    return add
