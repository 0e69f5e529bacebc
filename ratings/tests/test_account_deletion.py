"""Deleting one's account (users/me) takes one's ratings with it, and the movies' statistics follow.

Lives here, not in users/tests: it needs a rating, which only the rating service writes.
"""

from decimal import Decimal

from django.contrib.auth import get_user_model

from movies.tests.factories import MovieFactory
from ratings.models import Rating
from ratings.services import rating_upsert

User = get_user_model()
ME = "/api/users/me/"


def test_delete_removes_the_account_and_its_ratings(user_client, user):
    movie = MovieFactory.create(title="Heat")
    rating_upsert(user=user, movie=movie, score=Decimal(4), review="")

    response = user_client.delete(ME)

    assert response.status_code == 204
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Rating.objects.filter(movie=movie).exists()
    movie.refresh_from_db()
    assert movie.ratings_count == 0
