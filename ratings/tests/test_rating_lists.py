from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from movies.tests.factories import MovieFactory
from ratings.services import rating_upsert
from ratings.tests.factories import RatingFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(user):
    """Three movies rated by `user` at different times."""
    now = timezone.now()
    ratings = []
    for offset, (title, score) in enumerate([("Alien", "4.0"), ("Brazil", "2.5"), ("Casablanca", "5.0")]):
        ratings.append(
            RatingFactory.create(
                user=user,
                movie=MovieFactory.create(title=title),
                score=Decimal(score),
                rated_at=now - timedelta(days=10 - offset),
                updated_at=now - timedelta(days=3 - offset),
            )
        )
    return ratings


def titles(response) -> list[str]:
    return [item["movie"]["title"] for item in response.json()["results"]]


def test_my_ratings_list_latest_activity_first(user_client, rated):
    response = user_client.get(reverse("my-ratings"))
    assert response.status_code == 200
    assert titles(response) == ["Casablanca", "Brazil", "Alien"]
    item = response.json()["results"][0]
    assert set(item) == {"movie", "score", "review", "rated_at", "updated_at"}
    assert set(item["movie"]) == {"id", "title", "year"}
    assert item["score"] == 5.0


def test_my_ratings_need_authentication(api_client):
    assert api_client.get(reverse("my-ratings")).status_code == 401


def test_anyones_ratings_are_public_and_case_insensitive(api_client, user, rated):
    response = api_client.get(reverse("user-ratings", kwargs={"username": user.username.upper()}))
    assert response.status_code == 200
    assert response.json()["count"] == 3


def test_an_unknown_users_ratings_are_a_404(api_client, db):
    assert api_client.get(reverse("user-ratings", kwargs={"username": "nobody"})).status_code == 404


@pytest.mark.parametrize(
    "ordering, expected",
    [
        ("score", ["Brazil", "Alien", "Casablanca"]),
        ("-score", ["Casablanca", "Alien", "Brazil"]),
        ("rated_at", ["Alien", "Brazil", "Casablanca"]),
        ("-rated_at", ["Casablanca", "Brazil", "Alien"]),
        ("updated_at", ["Alien", "Brazil", "Casablanca"]),
        ("movie__title", ["Alien", "Brazil", "Casablanca"]),
        ("-movie__title", ["Casablanca", "Brazil", "Alien"]),
    ],
)
def test_rated_movies_can_be_ordered(user_client, rated, ordering, expected):
    assert titles(user_client.get(reverse("my-ratings"), {"ordering": ordering})) == expected


def test_score_and_min_score_filter(user_client, rated):
    assert titles(user_client.get(reverse("my-ratings"), {"score": "4"})) == ["Alien"]
    assert titles(user_client.get(reverse("my-ratings"), {"min_score": "4.0"})) == ["Casablanca", "Alien"]


@pytest.mark.parametrize(
    "query, field",
    [("ordering=title", "ordering"), ("score=4.25", "score"), ("min_score=abc", "min_score"), ("score=0", "score")],
)
def test_invalid_list_parameters_are_a_400_naming_them(user_client, rated, query, field):
    response = user_client.get(f"{reverse('my-ratings')}?{query}")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_a_movies_ratings_show_who_rated_it(api_client, movie):
    alice, bob = UserFactory.create(username="alice"), UserFactory.create(username="bob")
    rating_upsert(user=alice, movie=movie, score=Decimal("4.5"), review="fun")
    rating_upsert(user=bob, movie=movie, score=Decimal("1.0"), review="")
    response = api_client.get(reverse("movie-ratings", kwargs={"movie_id": movie.pk}), {"ordering": "-score"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["user"], r["score"], r["review"]) for r in results] == [("alice", 4.5, "fun"), ("bob", 1.0, "")]
    assert set(results[0]) == {"user", "score", "review", "rated_at", "updated_at"}


def test_the_ratings_of_an_unknown_movie_are_a_404(api_client, db):
    assert api_client.get(reverse("movie-ratings", kwargs={"movie_id": 424242})).status_code == 404


def test_rating_lists_cost_a_fixed_number_of_queries(api_client, user_client, user, django_assert_num_queries):
    def fill(count: int) -> None:
        for _ in range(count):
            movie = MovieFactory.create()
            RatingFactory.create(user=user, movie=movie)
            RatingFactory.create(movie=movie)

    fill(2)
    movie_id = user.ratings.first().movie_id
    user_client.get(reverse("my-ratings"))  # the token's user is cached from now on (users.authstate)
    # my list: count + page (movie joined); public list: user lookup + count + page; movie list:
    # movie lookup + count + page (user joined)
    for size in (2, 30):
        if size == 30:
            fill(28)
        with django_assert_num_queries(2):
            user_client.get(reverse("my-ratings"), {"page_size": size})
        with django_assert_num_queries(3):
            api_client.get(reverse("user-ratings", kwargs={"username": user.username}), {"page_size": size})
        with django_assert_num_queries(3):
            api_client.get(reverse("movie-ratings", kwargs={"movie_id": movie_id}), {"page_size": size})
