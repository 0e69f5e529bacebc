"""Throttle counters live in the database: atomic under real concurrency, deaf to Redis' state."""

import functools

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from config.api import throttling
from config.models import ThrottleCounter
from config.tests.test_cache import throwaway_redis  # noqa: F401 (a fixture)
from conftest import run_in_threads
from users.tests.factories import UserFactory


def login(client: APIClient, username: str, password: str = "wrong-password", ip: str = "10.0.0.1") -> int:
    response = client.post(
        reverse("token-obtain"), {"username": username, "password": password}, format="json", REMOTE_ADDR=ip
    )
    return response.status_code


@pytest.fixture
def login_rate(settings):
    def set_rate(rate: str) -> None:
        rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": rate}
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}

    return set_rate


@pytest.mark.django_db(transaction=True)
class TestUnderRealConcurrency:
    @pytest.fixture(autouse=True)
    def _needs_postgres(self):
        if connection.vendor != "postgresql":
            pytest.skip("real concurrent upserts need PostgreSQL (DATABASE_URL)")

    def test_forty_concurrent_logins_from_one_address_let_exactly_ten_through(self, login_rate):
        login_rate("10/min")
        statuses = run_in_threads([functools.partial(login, APIClient(), f"nobody{i}") for i in range(40)])
        assert sorted(statuses) == [401] * 10 + [429] * 30  # type: ignore[type-var]

    def test_forty_concurrent_guesses_at_one_username_from_forty_addresses_let_ten_through(self, login_rate):
        UserFactory.create(username="admin")
        login_rate("10/min")
        statuses = run_in_threads([functools.partial(login, APIClient(), "admin", ip=f"10.1.0.{i}") for i in range(40)])
        assert sorted(statuses) == [401] * 10 + [429] * 30  # type: ignore[type-var]


@pytest.mark.django_db
def test_the_login_throttle_holds_with_redis_stopped(api_client, login_rate, throwaway_redis):  # noqa: F811
    throwaway_redis.kill()
    throwaway_redis.wait()
    login_rate("2/min")
    assert [login(api_client, "someone") for _ in range(3)] == [401, 401, 429]


@pytest.mark.redis
@pytest.mark.django_db
def test_logins_and_sign_ups_write_nothing_to_the_cache(api_client, login_rate):
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    redis.flushdb()
    login_rate("2/min")
    assert [login(api_client, "someone") for _ in range(3)] == [401, 401, 429]
    api_client.post(reverse("user-list"), {"username": "x"}, format="json")
    assert redis.dbsize() == 0


@pytest.mark.django_db
def test_a_burst_across_a_bucket_boundary_cannot_double_the_rate(monkeypatch):
    clock = [600.0 * 1000 + 59]  # one second before a minute bucket ends
    monkeypatch.setattr(throttling.time, "time", lambda: clock[0])
    first = [throttling.count_attempt("login", "ip:1", "10/min").allowed for _ in range(10)]
    clock[0] += 2  # one second into the next bucket: the last one still weighs ~59/60
    second = [throttling.count_attempt("login", "ip:1", "10/min").allowed for _ in range(10)]
    assert all(first)
    assert not any(second)


@pytest.mark.django_db
def test_an_attempt_is_one_statement_that_weighs_in_the_previous_bucket(monkeypatch, django_assert_num_queries):
    clock = [6000.0]
    monkeypatch.setattr(throttling.time, "time", lambda: clock[0])
    for _ in range(8):
        throttling.count_attempt("writes", "user:1", "10/min")
    clock[0] += 90  # half-way through the next bucket: the previous one's 8 weigh 4
    allowed = []
    for _ in range(7):
        with django_assert_num_queries(1):
            allowed.append(throttling.count_attempt("writes", "user:1", "10/min").allowed)
    assert allowed == [True] * 6 + [False]


@pytest.mark.django_db
def test_a_refused_attempt_says_how_long_to_wait(monkeypatch):
    monkeypatch.setattr(throttling.time, "time", lambda: 6000.0 + 20)
    attempts = [throttling.count_attempt("login", "ip:1", "1/min") for _ in range(2)]
    assert attempts[0].allowed
    assert not attempts[1].allowed
    assert attempts[1].wait == 40


@pytest.mark.django_db
def test_identities_are_stored_hashed_whatever_their_length():
    throttling.count_attempt("login", "user:" + "x" * 5000, "10/min")
    (row,) = ThrottleCounter.objects.all()
    assert len(row.ident) == len("login:") + 64


@pytest.mark.django_db
def test_expired_counters_are_pruned(monkeypatch):
    monkeypatch.setattr(throttling.time, "time", lambda: 6000.0)
    throttling.count_attempt("login", "ip:old", "10/min")
    monkeypatch.setattr(throttling.time, "time", lambda: 6000.0 + 3600)
    monkeypatch.setattr(throttling, "PRUNE_PROBABILITY", 1.0)
    throttling.count_attempt("login", "ip:new", "10/min")
    assert list(ThrottleCounter.objects.values_list("bucket", flat=True)) == [(6000 + 3600) // 60]


@pytest.mark.parametrize(
    ("num_proxies", "forwarded", "expected"),
    [
        (0, "1.2.3.4", "127.0.0.9"),
        (1, "1.2.3.4", "1.2.3.4"),
        (1, "6.6.6.6, 1.2.3.4", "1.2.3.4"),
        (2, "6.6.6.6, 1.2.3.4, 10.0.0.2", "1.2.3.4"),
    ],
)
def test_client_addresses_come_from_x_forwarded_for_only_behind_the_configured_proxies(
    rf, settings, num_proxies, forwarded, expected
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies}
    request = rf.get("/", REMOTE_ADDR="127.0.0.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert throttling.client_ip(request) == expected
