"""The database router against two real databases: the test PostgreSQL and a streaming replica of
it, made with `pg_basebackup -R` by `.ci/services start-replica` for this module (SPEC 7 and 17).

Replication is real: the replica replays the primary's WAL, and pausing replay
(`pg_wal_replay_pause()`) makes it lag for as long as a test needs, so "stale" is shown on the
replica itself before the service is shown not to serve it.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config import cache as response_cache
from config import db as routing
from conftest import client_for
from movies.models import Movie
from movies.selectors import global_mean_rating
from movies.tests.factories import MovieFactory
from users.tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
REPLICA = "replica_0"

pytestmark = [pytest.mark.postgres]


# --- A primary and a streaming replica ---------------------------------------------------------


def _free_port() -> int:

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def replica_port(django_db_setup, django_db_blocker) -> Iterator[int]:
    """A streaming replica of the test database's server, registered as the alias `replica_0`."""
    primary = connections["default"].settings_dict
    if connections["default"].vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL)")
    if primary["HOST"] not in ("127.0.0.1", "localhost", "::1"):
        pytest.skip("the replica is made with pg_basebackup from a PostgreSQL on this machine")
    services_dir = tempfile.mkdtemp(prefix="movies-replica.")
    port = _free_port()
    env = {
        **os.environ,
        "SERVICES_DIR": services_dir,
        "PG_HOST": "127.0.0.1",
        "PG_PORT": str(primary["PORT"]),
        "PG_USER": primary["USER"],
        "PG_REPLICA_PORT": str(port),
        "PG_DB": primary["NAME"],
    }
    try:
        started = subprocess.run(
            [str(ROOT / ".ci" / "services"), "start-replica"], env=env, capture_output=True, text=True, timeout=120
        )
        assert started.returncode == 0, started.stderr
        alias_settings = {**primary, "PORT": str(port), "TEST": {**primary["TEST"], "MIRROR": "default"}}
        # connections.settings is settings.DATABASES itself (Django configures it in place).
        connections.settings[REPLICA] = alias_settings
        yield port
    finally:
        try:
            if REPLICA in connections.settings:
                with django_db_blocker.unblock():
                    connections[REPLICA].close()
                del connections.settings[REPLICA]
        finally:  # the replica is stopped whatever happened above
            subprocess.run([str(ROOT / ".ci" / "services"), "stop-replica"], env=env, capture_output=True, timeout=120)
            shutil.rmtree(services_dir, ignore_errors=True)


@pytest.fixture
def replicated(replica_port, settings) -> Iterator[None]:
    """Replicas configured as DATABASE_REPLICA_URLS would; replay resumed afterwards whatever happened."""
    settings.DATABASE_REPLICAS = [REPLICA]
    routing._failed_until.clear()
    yield
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    routing._failed_until.clear()


def primary_position() -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return routing.parse_lsn(cursor.fetchone()[0])


def replayed_position() -> int:
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_last_wal_replay_lsn()::text")
        return routing.parse_lsn(cursor.fetchone()[0])


def wait_for_replay() -> None:
    target = primary_position()
    deadline = time.monotonic() + 15
    while replayed_position() < target:
        assert time.monotonic() < deadline, "the replica did not catch up within 15 s"
        time.sleep(0.05)


def pause_replay() -> None:
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + 15
        while True:
            cursor.execute("SELECT pg_get_wal_replay_pause_state()")
            if cursor.fetchone()[0] == "paused":
                return
            assert time.monotonic() < deadline
            time.sleep(0.05)


def table_queries(captured: CaptureQueriesContext, table: str) -> list[str]:
    return [query["sql"] for query in captured.captured_queries if table in query["sql"]]


def rate(user: Any, movie: Any, score: str) -> None:
    response = client_for(user).put(
        reverse("movie-own-rating", kwargs={"movie_id": movie.pk}), {"score": score}, format="json"
    )
    assert response.status_code in (200, 201), response.content


on_both = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


@on_both
def test_a_public_read_is_filled_from_a_replica_that_has_replayed_the_last_write(replicated, api_client):
    movie = MovieFactory.create()
    rate(UserFactory.create(), movie, "4.0")
    # C's refresh (once a minute, movies.selectors) stores C and rewrites the stored weighted
    # ratings: a write, so it runs on the primary; here it runs before the read under test.
    global_mean_rating()
    wait_for_replay()

    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = api_client.get(reverse("movie-detail", kwargs={"pk": movie.pk}))

    assert response["X-Cache"] == "MISS"
    assert response.json()["ratings_count"] == 1
    assert table_queries(on_replica, "movies_movie")
    assert not table_queries(on_primary, "movies_movie")


@on_both
def test_with_replay_paused_a_read_after_a_write_is_filled_from_the_primary_and_is_fresh(replicated, api_client):
    movie = MovieFactory.create()
    rate(UserFactory.create(), movie, "4.0")
    wait_for_replay()
    url = reverse("movie-detail", kwargs={"pk": movie.pk})
    assert api_client.get(url)["X-Cache"] == "MISS"
    assert api_client.get(url)["X-Cache"] == "HIT"

    pause_replay()
    rate(UserFactory.create(), movie, "2.0")
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT ratings_count FROM movies_movie WHERE id = %s", [movie.pk])
        assert cursor.fetchone()[0] == 1, "the replica must really lag for this test to mean anything"

    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        after = api_client.get(url)
    on_the_replica = table_queries(on_replica, "movies_movie")  # before the next request resets the log
    asked_the_replica = any("pg_last_wal_replay_lsn" in query["sql"] for query in on_replica.captured_queries)
    again = api_client.get(url)

    assert after["X-Cache"] == "MISS"
    assert (after.json()["ratings_count"], Decimal(str(after.json()["average_rating"]))) == (2, Decimal("3.00"))
    assert asked_the_replica and not on_the_replica  # it was asked how far it had replayed, then skipped
    assert again["X-Cache"] == "HIT"
    assert again.json()["ratings_count"] == 2


@on_both
def test_once_replay_resumes_and_passes_the_write_fills_use_the_replica_again(replicated, api_client):
    movie = MovieFactory.create()
    pause_replay()
    rate(UserFactory.create(), movie, "3.5")
    url = reverse("movie-ratings", kwargs={"movie_id": movie.pk})
    with CaptureQueriesContext(connections[REPLICA]) as paused:
        assert api_client.get(url).json()["count"] == 1
    paused_on_the_replica = table_queries(paused, "ratings_rating")  # before the next request resets the log
    assert any("pg_last_wal_replay_lsn" in query["sql"] for query in paused.captured_queries)
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    wait_for_replay()
    rate(UserFactory.create(), movie, "4.5")
    wait_for_replay()

    with CaptureQueriesContext(connections[REPLICA]) as resumed:
        response = api_client.get(url)

    assert response.json()["count"] == 2
    assert not paused_on_the_replica
    assert table_queries(resumed, "ratings_rating")


@on_both
def test_the_writers_own_reads_never_touch_the_replica(replicated):
    movie, user = MovieFactory.create(), UserFactory.create()
    rate(user, movie, "4.0")
    wait_for_replay()
    client = client_for(user)

    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        own = client.get(reverse("movie-own-rating", kwargs={"movie_id": movie.pk}))
        me = client.get(reverse("user-me"))

    assert own.status_code == 200
    assert me.json()["ratings_count"] == 1
    assert on_replica.captured_queries == []


@on_both
def test_reads_inside_a_transaction_stay_on_the_primary(replicated):
    movie = MovieFactory.create()
    wait_for_replay()
    with routing.reading_from(REPLICA):
        assert Movie.objects.get(pk=movie.pk)._state.db == REPLICA
        with transaction.atomic():
            assert Movie.objects.get(pk=movie.pk)._state.db == "default"


@on_both
def test_a_replica_that_is_down_costs_capacity_not_answers(replicated, api_client):
    movie = MovieFactory.create()
    rate(UserFactory.create(), movie, "5.0")
    wait_for_replay()
    replica = connections[REPLICA]
    replica.close()
    port, replica.settings_dict["PORT"] = replica.settings_dict["PORT"], str(_free_port())
    try:
        first = api_client.get(reverse("movie-detail", kwargs={"pk": movie.pk}))
        second = api_client.get(reverse("movie-list"))
    finally:
        replica.close()
        replica.settings_dict["PORT"] = port
    assert (first.status_code, first.json()["ratings_count"]) == (200, 1)
    assert second.status_code == 200
    assert routing._failed_until.get(REPLICA, 0) > time.monotonic()


@on_both
def test_every_connection_prepares_statements_as_its_settings_say(replicated):
    # Without a pooler psycopg prepares a statement on its fifth run; behind PgBouncer
    # (DATABASE_POOLER=pgbouncer) the settings say never (config/tests/test_settings.py).
    for alias in ("default", REPLICA):
        connections[alias].ensure_connection()
        assert connections[alias].connection.prepare_threshold == 5
        assert connections[alias].settings_dict["OPTIONS"]["prepare_threshold"] == 5


@on_both
def test_generations_from_before_replicas_are_given_a_position_once_so_fills_can_use_them(replicated, api_client):
    movie = MovieFactory.create()
    wait_for_replay()
    url = reverse("movie-detail", kwargs={"pk": movie.pk})
    api_client.get(url)
    store = response_cache.store()
    store.set_generations([response_cache._generation_key(response_cache.ALL)])  # as a process without replicas
    assert "@" not in str(store.get(response_cache._generation_key(response_cache.ALL)))

    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        first = api_client.get(url)
    on_the_replica = table_queries(on_replica, "movies_movie")  # before the next request resets the log
    second = api_client.get(url)

    assert first["X-Cache"] == "MISS"
    assert on_the_replica
    assert "@" in str(store.get(response_cache._generation_key(response_cache.ALL)))
    assert second["X-Cache"] == "HIT"


@on_both
def test_authentication_reads_the_primary_even_when_the_fill_reads_the_replica(replicated):
    movie, user = MovieFactory.create(), UserFactory.create()
    wait_for_replay()
    client = client_for(user)

    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = client.get(reverse("movie-detail", kwargs={"pk": movie.pk}))

    assert response["X-Cache"] == "MISS"
    assert table_queries(on_replica, "movies_movie")
    assert table_queries(on_primary, "users_user")  # the bearer's user and its session epoch
    assert not table_queries(on_replica, "users_user")
