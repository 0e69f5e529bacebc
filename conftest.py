"""Fixtures shared by every app's tests: API clients for anonymous, regular and staff users."""

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from users.tests.factories import UserFactory


def pytest_report_header(config: pytest.Config) -> list[str]:
    from django.conf import settings

    return [
        f"database: {settings.DATABASES['default']['ENGINE']} ({settings.DATABASES['default'].get('HOST') or 'local'})",
        f"cache: {settings.CACHES['default']['BACKEND']} ({settings.CACHES['default'].get('LOCATION', 'local')})",
    ]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The markers do what they say: `postgres` tests skip off PostgreSQL, `redis` tests without
    REDIS_URL, each with the reason its marker gives (or a general one)."""
    needs = {
        "postgres": (settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), "needs PostgreSQL (DATABASE_URL)"),
        "redis": (bool(getattr(settings, "REDIS_URL", "")), "needs REDIS_URL: a real Redis server"),
    }
    for item in items:
        for name, (available, reason) in needs.items():
            marker = item.get_closest_marker(name)
            if marker is not None and not available:
                item.add_marker(pytest.mark.skip(reason=marker.kwargs.get("reason", reason)))


PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "request_id"}


def assert_problem(response, status: int) -> dict:
    """The response is an RFC 9457 problem with this status; returns its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["request_id"] == response["X-Request-ID"]
    return body


def run_in_threads(work: list[Callable[[], object]]) -> list[object]:
    """Run every callable on its own thread, all released at once; the results (or the exception
    each raised) in order. Each thread closes its database connections."""
    results: list[object] = [None] * len(work)
    barrier = threading.Barrier(len(work))

    def runner(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work[index]()
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Each test starts with an empty cache, so no test sees another's cached responses (nor the
    catalogue mean C a previous test left in this process's memory)."""
    from movies.selectors import forget_local_global_mean

    cache.clear()
    forget_local_global_mean()
    yield


@pytest.fixture(autouse=True)
def _no_random_throttle_pruning(monkeypatch: pytest.MonkeyPatch) -> None:
    """Throttles prune expired counters on about one attempt in a hundred: never in tests, so
    pinned query counts are exact (`users/tests/test_throttling.py` turns it on where it tests it)."""
    from config.api import throttling

    monkeypatch.setattr(throttling, "PRUNE_PROBABILITY", 0.0)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def client_for(user) -> APIClient:
    """An API client that sends a fresh access token for `user`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def user_client(user) -> APIClient:
    return client_for(user)


@pytest.fixture
def staff_user(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(staff_user) -> APIClient:
    return client_for(staff_user)


@pytest.fixture
def uses_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def redis_url() -> str:
    """The real Redis the suite runs against; tests that need one skip, saying why, without it."""
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        pytest.skip("needs REDIS_URL: a real Redis server")
    return url


class DeferredExecutor:
    """Stands in for the background thread of `users.tasks`: runs queued tasks when the test says
    so, in the test's own transaction and connection (a real thread would not see the test's
    uncommitted rows, and its connection handling would close the test's). `submit` receives
    `tasks._run, task, kwargs`."""

    def __init__(self) -> None:
        self.queued: list[tuple[Any, ...]] = []

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        self.queued.append(args)
        future: Future = Future()
        future.set_result(None)
        return future

    def run(self) -> None:
        while self.queued:
            task, kwargs = self.queued.pop(0)
            task(**kwargs)


@pytest.fixture
def background(monkeypatch: pytest.MonkeyPatch) -> DeferredExecutor:
    """Password reset emails queued by a request run when the test calls `background.run()`."""
    from users import tasks

    executor = DeferredExecutor()
    monkeypatch.setattr(tasks, "_executor", executor)
    return executor


@pytest.fixture
def rate(db: Any) -> Callable[..., None]:
    """Rate a movie once per score, each by a new user, through the rating service: `rate(movie, "4.5", "3.0")`.

    Shared here so that the tests of apps below `ratings` (movies) get real ratings, with their
    statistics kept by `ratings.services.rating_upsert`, without importing the ratings app.
    """
    from decimal import Decimal

    from ratings.services import rating_upsert

    def add(movie: Any, *scores: str) -> None:
        for score in scores:
            rating_upsert(user=UserFactory.create(), movie=movie, score=Decimal(score), review="")
        movie.refresh_from_db(fields=["ratings_count", "ratings_sum"])

    return add
