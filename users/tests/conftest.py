from typing import Any

import pytest
from django.core.cache import caches
from django.urls import reverse

from users.tests.helpers import PASSWORD


@pytest.fixture
def login(api_client):
    """Log in through the API; returns the `{access, refresh}` pair."""

    def log_in(username: str, password: str = PASSWORD) -> dict:
        response = api_client.post(reverse("token-obtain"), {"username": username, "password": password}, format="json")
        assert response.status_code == 200, response.content
        return response.json()

    return log_in


@pytest.fixture
def small_throttle_rates(settings):
    """Two logins and two sign-ups per minute; the throttles read their rates at request time."""
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": "2/min", "register": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


@pytest.fixture
def committing(django_capture_on_commit_callbacks):
    """`with committing(): ...` runs what the block registered with `transaction.on_commit` when it
    ends, as the commit of a real request would (a test's own transaction never commits). Writes
    drop cached authentication state that way (`users.authstate`), so a test that reads with a
    token after a write it makes wraps the write in this."""

    def run() -> Any:
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture
def local_memory_cache(settings):
    """The bare-machine fallback: Django's local-memory cache instead of Redis, for this test."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    caches._settings = caches.settings = caches.configure_settings(None)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        del caches._settings  # type: ignore[attr-defined]
