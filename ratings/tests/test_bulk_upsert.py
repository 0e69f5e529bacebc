"""`ratings_bulk_upsert`: the set-based write path behind the ratings import."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from movies.tests.factories import MovieFactory
from ratings.models import Rating
from ratings.services import RatingWrite, rating_upsert, ratings_bulk_upsert
from ratings.tests.conftest import assert_statistics_match_rows

MOMENT = datetime(2024, 5, 1, tzinfo=UTC)


def writes(movies, score: str = "3.5", moment: datetime = MOMENT) -> list[RatingWrite]:
    return [RatingWrite(movie.pk, Decimal(score), None, moment, moment) for movie in movies]


def test_it_creates_updates_and_counts_exactly(user):
    movies = MovieFactory.create_batch(4)
    rating_upsert(user=user, movie=movies[0], score=Decimal("1.0"), review="held")
    Rating.objects.filter(user=user).update(updated_at=MOMENT - timedelta(days=1))
    result = ratings_bulk_upsert(user=user, ratings=writes(movies))
    assert (result.created, result.updated, result.unchanged) == (3, 1, 0)
    assert Rating.objects.get(user=user, movie=movies[0]).review == "held"
    for movie in movies:
        assert_statistics_match_rows(movie)
    user.refresh_from_db()
    assert (user.ratings_count, user.ratings_sum) == (4, Decimal("14.0"))


def test_a_movie_deleted_meanwhile_is_reported_and_nothing_written_for_it(user):
    movie = MovieFactory.create()
    gone = RatingWrite(2_000_000_000, Decimal(3), None, MOMENT, MOMENT)
    result = ratings_bulk_upsert(user=user, ratings=[*writes([movie]), gone])
    assert (result.created, result.missing_movie_ids) == (1, frozenset({2_000_000_000}))


def test_a_dry_run_answers_the_same_and_writes_nothing(user):
    movies = MovieFactory.create_batch(3)
    preview = ratings_bulk_upsert(user=user, ratings=writes(movies), dry_run=True)
    assert not Rating.objects.exists()
    assert ratings_bulk_upsert(user=user, ratings=writes(movies)) == preview


@pytest.mark.parametrize("size", [5, 60])
def test_the_number_of_statements_does_not_grow_with_the_number_of_ratings(
    user, size, uses_postgres, django_assert_num_queries
):
    held = MovieFactory.create_batch(size)
    for movie in held:
        rating_upsert(user=user, movie=movie, score=Decimal("1.0"), review="")
    Rating.objects.filter(user=user).update(updated_at=MOMENT - timedelta(days=1))
    fresh = MovieFactory.create_batch(size)
    # savepoint, user lock, held ratings, movie locks and counters (one statement on PostgreSQL,
    # a locking read then an update elsewhere), insert, update, user counters, release
    with django_assert_num_queries(8 if uses_postgres else 9):
        result = ratings_bulk_upsert(user=user, ratings=writes(held + fresh))
    assert (result.created, result.updated) == (size, size)
