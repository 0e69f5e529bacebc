"""What an operator sees on /metrics while people browse and rate (SPEC section 16)."""

import pytest
from django.urls import reverse
from prometheus_client import REGISTRY

from movies.tests.factories import MovieFactory

pytestmark = pytest.mark.django_db


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_committed_rating_writes_are_counted_by_operation(user_client, movie, django_capture_on_commit_callbacks):
    url = reverse("movie-own-rating", kwargs={"movie_id": movie.pk})
    before = {op: sample("rating_writes_total", operation=op) for op in ("create", "update", "delete")}
    with django_capture_on_commit_callbacks(execute=True):
        assert user_client.put(url, {"score": 4}, format="json").status_code == 201
        assert user_client.put(url, {"score": 4}, format="json").status_code == 200  # identical: no write
        assert user_client.put(url, {"score": 3}, format="json").status_code == 200
        assert user_client.delete(url).status_code == 204
    after = {op: sample("rating_writes_total", operation=op) for op in ("create", "update", "delete")}
    assert {op: after[op] - before[op] for op in after} == {"create": 1, "update": 1, "delete": 1}


def test_a_refused_rating_is_not_counted(user_client, movie, django_capture_on_commit_callbacks):
    url = reverse("movie-own-rating", kwargs={"movie_id": movie.pk})
    before = sample("rating_writes_total", operation="create")
    with django_capture_on_commit_callbacks(execute=True):
        assert user_client.put(url, {"score": 9}, format="json").status_code == 400
    assert sample("rating_writes_total", operation="create") == before


def test_response_cache_hits_and_misses_are_counted(api_client):
    movie = MovieFactory.create()
    url = reverse("movie-detail", kwargs={"pk": movie.pk})
    hits, misses = sample("cache_lookups_total", result="hit"), sample("cache_lookups_total", result="miss")
    assert api_client.get(url)["X-Cache"] == "MISS"
    assert api_client.get(url)["X-Cache"] == "HIT"
    assert api_client.get(url)["X-Cache"] == "HIT"
    assert sample("cache_lookups_total", result="miss") == misses + 1
    assert sample("cache_lookups_total", result="hit") == hits + 2


def test_throttled_requests_are_counted_by_scope(api_client, user, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": "1/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    before = sample("throttled_requests_total", scope="login")
    body = {"username": user.username, "password": "wrong"}
    statuses = [api_client.post(reverse("token-obtain"), body, format="json").status_code for _ in range(3)]
    assert statuses == [401, 429, 429]
    assert sample("throttled_requests_total", scope="login") == before + 2


def test_cache_errors_are_counted_when_redis_is_down(api_client, monkeypatch):
    from config import cache

    def unreachable(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(cache, "_lookup", unreachable)
    movie = MovieFactory.create()
    errors = sample("cache_errors_total")
    lookups = sample("cache_lookups_total", result="error")
    assert api_client.get(reverse("movie-detail", kwargs={"pk": movie.pk})).status_code == 200
    assert sample("cache_errors_total") == errors + 1
    assert sample("cache_lookups_total", result="error") == lookups + 1
