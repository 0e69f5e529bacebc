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

Django loads this module as the ENGINE `config.postgresql` (config/settings/base.py).
"""

import select

from django.db.backends.postgresql import base


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
