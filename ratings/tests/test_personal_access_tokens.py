"""Rating writes with personal access tokens: the `write` scope, and the same per-user throttle."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from conftest import assert_problem, client_for
from movies.tests.factories import MovieFactory

pytestmark = pytest.mark.django_db


def token_for(user, *scopes: str) -> APIClient:
    """A client sending a new personal access token of `user`, created through the API."""
    response = client_for(user).post(
        reverse("personal-access-token-list"), {"name": "-".join(scopes), "scopes": list(scopes)}, format="json"
    )
    assert response.status_code == 201, response.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}")
    return client


def rate(client, movie, score=4.0):
    return client.put(reverse("movie-own-rating", args=[movie.pk]), {"score": score}, format="json")


def test_a_write_token_rates_replaces_and_deletes(user):
    movie = MovieFactory.create()
    client = token_for(user, "write")
    assert rate(client, movie).status_code == 201
    assert rate(client, movie, 2.5).status_code == 200
    assert client.get(reverse("movie-own-rating", args=[movie.pk])).json()["score"] == 2.5
    assert client.delete(reverse("movie-own-rating", args=[movie.pk])).status_code == 204


def test_a_read_token_reads_ratings_but_every_rating_write_is_a_403(user):
    movie = MovieFactory.create()
    rate(client_for(user), movie)
    client = token_for(user, "read")
    assert client.get(reverse("movie-own-rating", args=[movie.pk])).status_code == 200
    assert client.get(reverse("my-ratings")).json()["count"] == 1
    for response in (rate(client, movie, 1.0), client.delete(reverse("movie-own-rating", args=[movie.pk]))):
        assert assert_problem(response, 403)["code"] == "insufficient_scope"
    assert user.ratings.get().score == 4


def test_a_read_token_of_a_curator_cannot_write_the_catalogue(staff_user):
    response = token_for(staff_user, "read").post(reverse("movie-list"), {"title": "Forbidden"}, format="json")
    assert_problem(response, 403)


def test_throttles_count_personal_token_requests_per_user_like_jwt_ones(settings, user):
    client = token_for(user, "write")  # creating it (with the JWT) counted once already
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "writes": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    movie = MovieFactory.create()
    assert rate(client, movie).status_code == 201
    assert rate(client_for(user), movie, 3.0).status_code == 200
    response = rate(client, movie, 2.0)
    assert_problem(response, 429)
    assert int(response["Retry-After"]) > 0
