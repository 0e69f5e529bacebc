"""SPEC 11 measures cache hits as a logged-in app sends them, with a bearer token: a hit on the
movie detail, the list and top then runs no query at all (the token's user and personal token
come from the cached authentication state, users.authstate)."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from conftest import client_for
from movies.tests.factories import MovieFactory
from users.services import token_create
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["jwt", "personal token"])
def token_client(request) -> APIClient:
    user = UserFactory.create()
    if request.param == "jwt":
        return client_for(user)
    _, secret = token_create(owner=user, name="app", scopes=["read"], expires_in_days=30)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.mark.parametrize("name", ["movie-detail", "movie-list", "movie-top"])
def test_a_cache_hit_with_a_bearer_token_runs_no_query(token_client, name, django_assert_num_queries):
    movie = MovieFactory.create()
    url = reverse(name, kwargs={"pk": movie.pk}) if name == "movie-detail" else reverse(name)
    for _ in range(3):  # fills the response and the token's state (a personal token's takes two uses)
        assert token_client.get(url).status_code == 200
    with django_assert_num_queries(0):
        response = token_client.get(url)
    assert response.status_code == 200
    assert response["X-Cache"] == "HIT"
