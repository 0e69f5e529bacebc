"""Hostile input is data: never executed, never reflected raw, never a 500."""

import pytest
from django.urls import reverse

from conftest import client_for
from movies.models import Movie
from movies.tests.factories import GenreFactory, MovieFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SQL = "'; DROP TABLE movies_movie; --"
HTML = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.mark.parametrize("term", [SQL, "%' OR '1'='1", "\\", "%", "_", HTML])
def test_search_terms_are_matched_literally(api_client, term):
    MovieFactory.create(title="Heat")
    MovieFactory.create(title=f"A film called {term}")
    response = api_client.get(reverse("movie-list"), {"search": term})
    assert response.status_code == 200
    assert [movie["title"] for movie in response.json()["results"]] == [f"A film called {term}"]
    assert Movie.objects.count() == 2


def test_html_in_a_review_comes_back_as_a_json_string_never_as_markup(user_client):
    movie = MovieFactory.create()
    url = reverse("movie-own-rating", kwargs={"movie_id": movie.pk})
    response = user_client.put(url, {"score": 3, "review": HTML}, format="json")
    assert response.status_code == 201
    listed = user_client.get(reverse("movie-ratings", kwargs={"movie_id": movie.pk}))
    assert listed["Content-Type"] == "application/json"
    assert listed["X-Content-Type-Options"] == "nosniff"
    assert listed.json()["results"][0]["review"] == HTML


@pytest.mark.parametrize("username", ["Zoë", "Ωmega", "名前", "José.García"])
def test_unicode_usernames_sign_up_and_have_public_profiles(api_client, username):
    response = api_client.post(
        reverse("user-list"),
        {"username": username, "email": f"{len(username)}x@example.com", "password": "a-long-Passphrase-91"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    profile = api_client.get(reverse("user-detail", kwargs={"username": username}))
    assert profile.status_code == 200
    assert profile.json()["username"] == username


@pytest.mark.postgres(reason="SQLite's LOWER() folds only ASCII; PostgreSQL enforces this (docs/users.md)")
def test_unicode_usernames_collide_whatever_their_case(api_client):
    UserFactory.create(username="Zoë")
    response = api_client.post(
        reverse("user-list"),
        {"username": "ZOË", "email": "other@example.com", "password": "a-long-Passphrase-91"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "username"


@pytest.mark.parametrize("username", ["a b", "emoji😀", "tab\tname", "new\nline", ""])
def test_usernames_outside_the_allowed_characters_are_a_400(api_client, username):
    response = api_client.post(
        reverse("user-list"),
        {"username": username, "email": "u@example.com", "password": "a-long-Passphrase-91"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "username"


@pytest.mark.parametrize("title", ["Amélie", "Ōkami 大神", "שלום", "🎬 The Movie", HTML, SQL])
def test_curators_titles_round_trip_exactly(staff_client, title):
    GenreFactory.create(name="Drama")
    response = staff_client.post(reverse("movie-list"), {"title": title, "genres": ["Drama"]}, format="json")
    assert response.status_code == 201, response.json()
    detail = staff_client.get(reverse("movie-detail", kwargs={"pk": response.json()["id"]}))
    assert detail.json()["title"] == title


def test_another_users_email_is_never_shown(api_client, user):
    other = UserFactory.create(email="private@example.com")
    bodies = [
        client_for(user).get(reverse("user-detail", kwargs={"username": other.username})).content,
        api_client.get(reverse("user-detail", kwargs={"username": other.username})).content,
        api_client.get(reverse("user-ratings", kwargs={"username": other.username})).content,
    ]
    assert all(b"private@example.com" not in body for body in bodies)
