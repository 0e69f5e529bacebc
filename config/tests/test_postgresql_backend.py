"""The PostgreSQL backend: its health check (no round trip while the connection is quiet, and a
connection the server ended is still found unusable and replaced), prepared statements, and the
client-bound cursor for messages of several statements (config/postgresql/base.py)."""

import time

import pytest
from django.db import connection, connections
from django.db.backends.postgresql import base as django_postgresql

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def own_connection():
    """A connection of its own (the test's stays untouched), persistent and health-checked, as the
    server's are."""
    wrapper = connections.create_connection("default")
    wrapper.settings_dict["CONN_HEALTH_CHECKS"] = True
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def round_trips_of_djangos_check(monkeypatch) -> list[bool]:
    """Calls of Django's own check (its `SELECT 1`), recorded."""
    calls: list[bool] = []
    djangos = django_postgresql.DatabaseWrapper.is_usable

    def recorded(self):
        calls.append(True)
        return djangos(self)

    monkeypatch.setattr(django_postgresql.DatabaseWrapper, "is_usable", recorded)
    return calls


def test_the_postgresql_engine_is_the_project_backend():
    assert connection.settings_dict["ENGINE"] == "config.postgresql"
    assert connection.vendor == "postgresql"


def test_a_quiet_connection_is_usable_without_a_round_trip(own_connection, monkeypatch):
    calls = round_trips_of_djangos_check(monkeypatch)
    with own_connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert own_connection.is_usable()
    assert calls == []


def test_a_connection_the_server_ended_is_unusable_and_the_next_request_gets_a_new_one(own_connection, monkeypatch):
    calls = round_trips_of_djangos_check(monkeypatch)
    pid = own_connection.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while own_connection.is_usable() and time.monotonic() < deadline:  # the server's goodbye is on its way
        time.sleep(0.01)
    assert not own_connection.is_usable()
    assert calls  # the socket had something to say: Django's own check decided

    # What Django does at the start of a request (CONN_HEALTH_CHECKS): close, then connect anew.
    own_connection.health_check_done = False
    own_connection.close_if_health_check_failed()
    assert own_connection.connection is None
    with own_connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_a_closed_connection_is_unusable(own_connection):
    own_connection.connection.close()
    assert not own_connection.is_usable()


def prepared_statements(wrapper) -> list[str]:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_statement_the_connection_runs_again_and_again_is_prepared_once_whatever_its_values(own_connection):
    # Bound on the server, the statement's text is the same for every value: psycopg prepares it
    # on its fifth run, and PostgreSQL plans it no more.
    for number in range(6):
        with own_connection.cursor() as cursor:
            cursor.execute("SELECT %s::int + 1 AS next_number", [number])
            assert cursor.fetchone() == (number + 1,)
    assert [s for s in prepared_statements(own_connection) if "next_number" in s] == [
        "SELECT $1::int + 1 AS next_number"
    ]


def test_the_client_bound_cursor_sends_several_statements_with_parameters_in_one_message(own_connection):
    with own_connection.client_bound_cursor() as cursor:
        cursor.execute("SELECT %(a)s::int AS first; SELECT %(b)s::text AS second", {"a": 1, "b": "x'; --"})
        assert cursor.fetchone() == (1,)
        cursor.nextset()
        assert cursor.fetchone() == ("x'; --",)
    with pytest.raises(Exception, match="multiple commands"), own_connection.cursor() as cursor:
        cursor.execute("SELECT %(a)s::int; SELECT %(b)s::text", {"a": 1, "b": "x"})  # bound on the server: refused
