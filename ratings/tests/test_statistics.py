"""Statistics stay exact on every path that changes ratings."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from conftest import client_for
from movies.models import Movie
from movies.tests.factories import MovieFactory
from ratings.models import Rating
from ratings.services import rating_delete, rating_upsert, ratings_delete, statistics_recompute
from ratings.tests.conftest import assert_statistics_match_rows
from ratings.tests.factories import RatingFactory
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def rate(user, movie, score: str) -> Rating:
    return rating_upsert(user=user, movie=movie, score=Decimal(score), review="")[0]


def test_upserts_and_deletes_keep_movie_and_user_statistics_exact(movie):
    alice, bob = UserFactory.create(), UserFactory.create()
    rate(alice, movie, "4.0")
    rate(bob, movie, "2.5")
    rate(alice, movie, "5.0")
    assert_statistics_match_rows(movie)
    assert movie.average_rating == Decimal("3.75")
    alice.refresh_from_db()
    assert (alice.ratings_count, alice.ratings_sum, alice.average_score) == (1, Decimal("5.0"), Decimal("5.00"))
    rating_delete(rating=Rating.objects.get(user=bob))
    assert_statistics_match_rows(movie)
    assert movie.average_rating == Decimal("5.00")


def test_averages_round_half_up_to_two_places(movie):
    for score in ("4.0", "4.0", "4.5", "5.0", "5.0", "5.0", "0.5", "3.5"):
        rate(UserFactory.create(), movie, score)
    movie.refresh_from_db()
    # 31.5 / 8 = 3.9375 -> 3.94
    assert movie.average_rating == Decimal("3.94")


def test_deleting_a_user_through_the_api_corrects_every_movie(movie):
    other_movie = MovieFactory.create()
    leaving, staying = UserFactory.create(), UserFactory.create()
    rate(leaving, movie, "1.0")
    rate(leaving, other_movie, "2.0")
    rate(staying, movie, "5.0")
    assert client_for(leaving).delete(reverse("user-me")).status_code == 204
    assert not User.objects.filter(pk=leaving.pk).exists()
    assert_statistics_match_rows(movie)
    assert_statistics_match_rows(other_movie)
    assert movie.average_rating == Decimal("5.00")
    assert other_movie.ratings_count == 0


def test_deleting_users_in_bulk_corrects_every_movie(movie):
    users = UserFactory.create_batch(3)
    for score, user in zip(("1.0", "2.0", "3.0"), users, strict=True):
        rate(user, movie, score)
    User.objects.filter(pk__in=[u.pk for u in users[:2]]).delete()
    assert_statistics_match_rows(movie)
    assert movie.ratings_sum == Decimal("3.0")


def test_deleting_a_movie_corrects_its_raters_statistics(movie):
    other_movie = MovieFactory.create()
    user = UserFactory.create()
    rate(user, movie, "1.0")
    rate(user, other_movie, "4.0")
    Movie.objects.filter(pk=movie.pk).delete()
    user.refresh_from_db()
    assert (user.ratings_count, user.ratings_sum) == (1, Decimal("4.0"))


def test_bulk_deleting_ratings_keeps_statistics_exact(movie):
    other_movie = MovieFactory.create()
    users = UserFactory.create_batch(4)
    for index, user in enumerate(users):
        rate(user, movie, "4.0")
        rate(user, other_movie, str(index + 1.5))
    assert ratings_delete(Rating.objects.filter(user__in=users[:3])) == 6
    assert_statistics_match_rows(movie)
    assert_statistics_match_rows(other_movie)
    users[3].refresh_from_db()
    assert users[3].ratings_count == 2


def test_recompute_reports_and_fixes_drift(movie):
    user = UserFactory.create()
    rate(user, movie, "4.0")
    RatingFactory.create(movie=movie, score=Decimal("2.0"))  # written behind the service's back
    Movie.objects.filter(pk=movie.pk).update(ratings_count=7)
    drift = statistics_recompute()
    assert (drift.movies, drift.users) == (1, 1)
    assert_statistics_match_rows(movie)
    assert statistics_recompute().movies == 0


def test_the_recompute_command_says_when_there_is_no_drift(movie, capsys):
    rate(UserFactory.create(), movie, "3.0")
    call_command("recompute_statistics")
    assert "No drift" in capsys.readouterr().out
    Movie.objects.filter(pk=movie.pk).update(ratings_sum=Decimal("1.0"))
    call_command("recompute_statistics")
    assert "1 movie(s)" in capsys.readouterr().out
    assert_statistics_match_rows(movie)


def test_the_database_refuses_a_second_rating_of_the_same_movie(movie):
    from django.db import IntegrityError, transaction

    user = UserFactory.create()
    rate(user, movie, "3.0")
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(user=user, movie=movie, score=Decimal("2.0"))


def test_the_database_refuses_scores_off_the_scale(movie):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        RatingFactory.create(movie=movie, score=Decimal("4.3"))
