"""Django's end-of-request cache close runs only when a configured cache closes something, and
its start-of-request query log reset only under DEBUG."""

from typing import Any

import pytest
from django.core.cache import close_caches
from django.core.signals import request_finished, request_started
from django.db import reset_queries
from django.test import override_settings

from config.request_signals import closes_per_request, install

REDIS: dict[str, Any] = {
    "BACKEND": "django_redis.cache.RedisCache",
    "LOCATION": "redis://127.0.0.1:1/0",
    "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
}
LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


def close_caches_is_connected() -> bool:
    return any(ref() is close_caches for _key, ref, _is_async in request_finished.receivers)


def reset_queries_is_connected() -> bool:
    return any(ref() is reset_queries for _key, ref, _is_async in request_started.receivers)


def test_the_projects_caches_close_nothing_so_close_caches_is_not_run_after_each_request():
    assert not close_caches_is_connected()


@pytest.mark.parametrize(
    "config",
    [
        REDIS,
        LOCMEM,
        {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
        {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache"},
    ],
)
def test_backends_whose_close_does_nothing_are_recognised(config):
    assert not closes_per_request(config)


@pytest.mark.parametrize(
    "config",
    [
        {**REDIS, "OPTIONS": {**REDIS["OPTIONS"], "CLOSE_CONNECTION": True}},
        {"BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache", "LOCATION": "127.0.0.1:11211"},
    ],
)
def test_backends_that_close_connections_after_a_request_are_recognised(config):
    assert closes_per_request(config)


def test_django_redis_close_connection_setting_is_honoured():
    with override_settings(DJANGO_REDIS_CLOSE_CONNECTION=True):
        assert closes_per_request(REDIS)


def test_close_caches_comes_back_when_a_cache_needs_it_and_goes_again_after():
    closing = {**REDIS, "OPTIONS": {**REDIS["OPTIONS"], "CLOSE_CONNECTION": True}}
    with override_settings(CACHES={"default": LOCMEM, "sessions": closing}):
        assert close_caches_is_connected()
    assert not close_caches_is_connected()


@pytest.mark.django_db
def test_requests_still_work_without_the_cache_close(client):
    from django.core.cache import cache

    cache.set("request-signals", "kept", 60)
    assert client.get("/health/live").status_code == 200
    assert cache.get("request-signals") == "kept"


def test_the_query_log_is_reset_per_request_only_under_debug():
    # A test that counts queries connects reset_queries again when it ends (Django's
    # CaptureQueriesContext); what the server starts with is what install() leaves.
    install()
    assert not reset_queries_is_connected()
    with override_settings(DEBUG=True):
        assert reset_queries_is_connected()
    assert not reset_queries_is_connected()
