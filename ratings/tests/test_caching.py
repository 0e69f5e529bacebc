"""Cached rating lists are never stale, even when a reader races a writer."""

import random
import threading
from decimal import Decimal

import pytest
from django.db import connections
from django.urls import reverse

from config import cache as response_cache
from conftest import client_for
from movies.tests.factories import MovieFactory
from ratings.services import rating_upsert
from users.tests.factories import UserFactory


# Invalidation runs after commit, so these tests use real transactions.
@pytest.mark.django_db(transaction=True)
def test_a_rating_refreshes_the_movies_ratings_and_the_raters_list(api_client, movie):
    alice = UserFactory.create(username="alice")
    ratings_url = reverse("movie-ratings", kwargs={"movie_id": movie.pk})
    rated_url = reverse("user-ratings", kwargs={"username": "alice"})
    assert api_client.get(ratings_url)["X-Cache"] == "MISS"
    assert api_client.get(rated_url)["X-Cache"] == "MISS"
    assert api_client.get(ratings_url)["X-Cache"] == "HIT"
    client_for(alice).put(reverse("movie-own-rating", kwargs={"movie_id": movie.pk}), {"score": 4}, format="json")
    assert api_client.get(ratings_url).json()["count"] == 1
    assert api_client.get(rated_url).json()["count"] == 1


@pytest.mark.django_db(transaction=True)
def test_deleting_a_rating_refreshes_the_lists(api_client, movie):
    alice = UserFactory.create(username="alice")
    own = reverse("movie-own-rating", kwargs={"movie_id": movie.pk})
    client_for(alice).put(own, {"score": 4}, format="json")
    ratings_url = reverse("movie-ratings", kwargs={"movie_id": movie.pk})
    assert api_client.get(ratings_url).json()["count"] == 1
    client_for(alice).delete(own)
    assert api_client.get(ratings_url).json()["count"] == 0


@pytest.mark.django_db
def test_the_callers_own_list_is_never_cached(user_client, movie, user):
    response = user_client.get(reverse("my-ratings"))
    assert not response.has_header("X-Cache")
    rating_upsert(user=user, movie=movie, score=Decimal("3.0"), review="")
    assert user_client.get(reverse("my-ratings")).json()["count"] == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres(reason="concurrent transactions need PostgreSQL (DATABASE_URL)")
def test_a_reader_that_began_before_a_write_cannot_leave_a_stale_copy(api_client, monkeypatch):
    """The reader reads the generations and the database, then stalls before storing its copy;
    meanwhile a write commits and returns. Every later read must show the write."""
    movie = MovieFactory.create()
    writer = client_for(UserFactory.create(username="writer"))
    url = reverse("movie-ratings", kwargs={"movie_id": movie.pk})
    rendered, resume = threading.Event(), threading.Event()
    original_store = response_cache._store

    def stalled_store(key, new_generations, response):
        rendered.set()
        resume.wait(timeout=30)
        original_store(key, new_generations, response)

    monkeypatch.setattr(response_cache, "_store", stalled_store)

    def read_once() -> None:
        api_client.get(url)
        connections.close_all()

    stale_reader = threading.Thread(target=read_once)
    stale_reader.start()
    assert rendered.wait(timeout=30)  # the reader has its pre-write copy in hand
    monkeypatch.setattr(response_cache, "_store", original_store)
    response = writer.put(reverse("movie-own-rating", kwargs={"movie_id": movie.pk}), {"score": 5}, format="json")
    assert response.status_code == 201
    resume.set()
    stale_reader.join(timeout=30)
    first, second = api_client.get(url), api_client.get(url)
    assert first.json()["count"] == 1
    assert (second["X-Cache"], second.json()["count"]) == ("HIT", 1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres(reason="concurrent transactions need PostgreSQL (DATABASE_URL)")
def test_interleaved_readers_and_writers_end_with_every_read_showing_the_final_state():
    movie = MovieFactory.create()
    writers = [client_for(UserFactory.create(username=f"w{i}")) for i in range(4)]
    own = reverse("movie-own-rating", kwargs={"movie_id": movie.pk})
    detail_urls = [reverse("movie-ratings", kwargs={"movie_id": movie.pk})] + [
        reverse("user-ratings", kwargs={"username": f"w{i}"}) for i in range(4)
    ]
    errors: list[object] = []

    def write(client, seed):
        rng = random.Random(seed)
        for _ in range(15):
            response = client.put(own, {"score": rng.randint(1, 10) / 2}, format="json")
            if response.status_code not in (200, 201):
                errors.append(response.status_code)
        connections.close_all()

    def read(seed):
        from rest_framework.test import APIClient

        client, rng = APIClient(), random.Random(seed)
        for _ in range(40):
            response = client.get(rng.choice(detail_urls))
            if response.status_code != 200:
                errors.append(response.status_code)
        connections.close_all()

    threads = [threading.Thread(target=write, args=(c, i)) for i, c in enumerate(writers)]
    threads += [threading.Thread(target=read, args=(100 + i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []

    from rest_framework.test import APIClient

    reader = APIClient()
    final = {item["user"]: item["score"] for item in reader.get(detail_urls[0]).json()["results"]}
    assert set(final) == {f"w{i}" for i in range(4)}
    movie.refresh_from_db()
    assert movie.ratings_count == 4
    assert Decimal(str(sum(final.values()))) == movie.ratings_sum
    for index in range(4):
        [item] = reader.get(detail_urls[index + 1]).json()["results"]
        assert item["score"] == final[f"w{index}"]
