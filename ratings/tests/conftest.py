from decimal import Decimal

import pytest

from movies.tests.factories import MovieFactory
from ratings.models import Rating


@pytest.fixture
def movie(db):
    return MovieFactory.create(title="Heat", year=1995)


def assert_statistics_match_rows(movie) -> None:
    """The stored statistics of a movie equal what its rating rows say."""
    movie.refresh_from_db()
    scores = list(Rating.objects.filter(movie=movie).values_list("score", flat=True))
    assert movie.ratings_count == len(scores)
    assert movie.ratings_sum == sum(scores, Decimal(0))
