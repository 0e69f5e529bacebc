from decimal import Decimal

import pytest
from django.test import Client

from movies.tests.factories import GenreFactory, MovieFactory
from ratings.services import rating_upsert
from users.tests.factories import UserFactory

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def drama(db):
    return GenreFactory.create(name="Drama")


@pytest.fixture
def movie(drama):
    """A movie rated 4.0 and 3.0 by two other people (statistics kept by the service)."""
    movie = MovieFactory.create(title="The Godfather", year=1972, genres=[drama], imdb_id="tt0068646")
    for score in ("4.0", "3.0"):
        rating_upsert(user=UserFactory.create(), movie=movie, score=Decimal(score), review="")
    return movie


@pytest.fixture
def member(db):
    return UserFactory.create(username="alice", email="alice@example.com")


@pytest.fixture
def member_client(member) -> Client:
    client = Client()
    client.force_login(member)
    return client


@pytest.fixture
def small_throttle_rates(settings):
    """Two requests a minute for each throttle; the throttles read their rates at request time."""
    rates = {"login": "2/min", "register": "2/min", "writes": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
