"""Django's PostgreSQL backend, whose connection health check costs no round trip while the
connection is quiet.

With `CONN_HEALTH_CHECKS`, Django checks a persistent connection before the first query of each
request, and its PostgreSQL backend does it with `SELECT 1`: a round trip to the database on every
request that uses it (a cache miss, a write), before the request's own statements.

A connection that is still good has nothing to read between requests: psycopg has read every
reply up to the server's "ready for query". When the server ends the connection (a restart,
`pg_terminate_backend`, `idle_session_timeout`, PgBouncer going away) it sends its last message
and closes the socket, and the socket becomes readable. So `is_usable()` first polls the socket
without waiting: nothing to read means usable, with no round trip; anything to read, or a
connection psycopg already knows is closed or broken, and Django's own check (`SELECT 1`) decides.
Recovery is what Django documents: a connection found unusable is closed and the request opens a
new one. What no check can see without a round trip (a peer that vanished without closing, such
as a host that lost power) the `SELECT 1` would not have seen quickly either: it waits for TCP.

The settings bind parameters on the server (`server_side_binding`, so that psycopg can prepare
statements), and PostgreSQL's extended protocol takes one statement per message. A message of
several statements needs parameters bound on the client, as Django binds them by default:
`client_bound_cursor()` gives such a cursor, logged, counted and wrapped like any other.

Django loads this module as the ENGINE `config.postgresql` (config/settings/base.py).
"""

import functools
import select
from typing import Any

from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.db.backends.utils import CursorWrapper
from psycopg import postgres
from psycopg.client_cursor import ClientCursorMixin
from psycopg.pq import Format

_TIMESTAMPTZ_OID = postgres.types["timestamptz"].oid


@functools.cache
def _binding_on_the_client(cursor_class: type) -> Any:
    """`cursor_class` (the connection's: Django's, or the subclass OpenTelemetry's psycopg
    instrumentation traces it with) binding parameters on the client, as psycopg's ClientCursor."""
    return type(f"ClientBound{cursor_class.__name__}", (ClientCursorMixin, cursor_class), {})


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        try:
            poller = select.poll()
            poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
            quiet = not poller.poll(0)
        except (OSError, ValueError):  # no descriptor any more
            return False
        return quiet or super().is_usable()

    def client_bound_cursor(self) -> CursorWrapper:
        """A cursor that binds parameters on the client whatever `server_side_binding` says: for
        one message holding several statements (PostgreSQL's simple query protocol). What
        Django's `cursor()` does, with the connection's cursor class made to bind on the client."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            cursor = _binding_on_the_client(self.connection.cursor_factory)(self.connection)
            # As Django's create_cursor: the time zone only when the connection disagrees.
            if self.timezone != self.connection.adapters.get_loader(_TIMESTAMPTZ_OID, Format.TEXT).timezone:
                register_tzloader(self.timezone, cursor)
            self.validate_thread_sharing()
            return self.make_debug_cursor(cursor) if self.queries_logged else self.make_cursor(cursor)
