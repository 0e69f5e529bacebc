"""Responses with tokens or private data say `Cache-Control: no-store` (SPEC section 2)."""

import pytest
from django.urls import reverse

from movies.tests.factories import MovieFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


def test_tokens_are_never_stored(api_client):
    UserFactory.create(username="alice")
    login = api_client.post(reverse("token-obtain"), {"username": "alice", "password": PASSWORD}, format="json")
    assert login["Cache-Control"] == "no-store"
    refresh = api_client.post(reverse("token-refresh"), {"refresh": login.json()["refresh"]}, format="json")
    assert refresh["Cache-Control"] == "no-store"
    failed = api_client.post(reverse("token-obtain"), {"username": "alice", "password": "no"}, format="json")
    assert failed["Cache-Control"] == "no-store"


@pytest.mark.parametrize("name", ["user-me", "my-ratings"])
def test_me_endpoints_are_never_stored(user_client, name):
    assert user_client.get(reverse(name))["Cache-Control"] == "no-store"


def test_ones_own_rating_is_never_stored(user_client):
    movie = MovieFactory.create()
    url = reverse("movie-own-rating", args=[movie.pk])
    assert user_client.put(url, {"score": 4}, format="json")["Cache-Control"] == "no-store"
    assert user_client.get(url)["Cache-Control"] == "no-store"


def test_public_reads_stay_revalidatable_not_no_store(api_client):
    assert api_client.get(reverse("movie-list"))["Cache-Control"] == "private, no-cache"
