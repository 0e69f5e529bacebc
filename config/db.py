"""Where each query goes: the primary, or a streaming replica when that cannot be stale (SPEC 17).

- `DATABASE_REPLICA_URLS` adds the aliases `replica_0`, `replica_1`, ... (`settings.DATABASE_REPLICAS`).
  With none, every query goes to the primary (`default`) and nothing here costs anything.
- Writes always go to the primary, and so does every read unless the code around it opted in with
  `reading_from(alias)`. Only one place opts in: a cache fill of a public read view
  (`config.cache.cache_response`), and only with a replica that has replayed every write its cache
  generations name (below). So the writer's own reads (`/me`, one's own rating), authentication,
  throttles, admin and every read inside a transaction stay on the primary, whatever the request.
- Freshness under lag (SPEC 7 and 17): when a write commits, the cache's generation bump records the
  primary's WAL position (`pg_current_wal_lsn()`, taken after the commit, so at or past the commit
  record). A cache fill may read a replica only when that replica's `pg_last_wal_replay_lsn()` is at
  or past the newest position recorded with the generations the fill read; otherwise, or when any
  generation has no position, or the cache is unreachable, it reads the primary. Replay only moves
  forward, so every query of the fill sees every write that bumped those generations: a replica read
  that could be stale is never made, let alone stored.
- A replica that fails (down, not in recovery any more, unreachable through the pooler) is skipped for
  `REPLICA_RETRY_SECONDS` and the primary serves: a replica outage costs capacity, never answers.
"""

import contextlib
import contextvars
import logging
import random
import threading
import time
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger("config.db")

PRIMARY = "default"
REPLICA_RETRY_SECONDS = 5.0

_reading_replica: contextvars.ContextVar[str | None] = contextvars.ContextVar("reading_replica", default=None)
_failed_until: dict[str, float] = {}
_failed_lock = threading.Lock()


def replicas() -> list[str]:
    """The replica aliases, in settings order."""
    return list(getattr(settings, "DATABASE_REPLICAS", []))


@contextlib.contextmanager
def reading_from(alias: str | None) -> Iterator[None]:
    """Route this block's reads (outside transactions) to `alias`; None keeps them on the primary."""
    token = _reading_replica.set(alias)
    try:
        yield
    finally:
        _reading_replica.reset(token)


class PrimaryReplicaRouter:
    """Writes, and reads nobody opted out of the primary for, go to the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        alias = _reading_replica.get()
        if alias is None or connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return alias

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # every alias holds the same data

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == PRIMARY  # replicas are read-only copies of it


def close_thread_connections() -> None:
    """Close the database connections a background thread opened (connections are per thread)."""
    connections.close_all()


# --- WAL positions ----------------------------------------------------------------------------


def parse_lsn(text: str) -> int:
    """PostgreSQL's `pg_lsn` text form (`16/B374D848`) as one comparable integer."""
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


def primary_lsn() -> int | None:
    """The primary's current WAL position, or None without replicas (no query) or on error."""
    if not replicas():
        return None
    try:
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            return parse_lsn(cursor.fetchone()[0])
    except DatabaseError as exc:
        logger.warning("could not read the primary's WAL position: %s", exc)
        return None


def _replay_lsn(alias: str) -> int | None:
    """How far `alias` has replayed the primary's WAL; None if it cannot say (not a standby)."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_last_wal_replay_lsn()::text")
        value = cursor.fetchone()[0]
    return None if value is None else parse_lsn(value)


def replica_at_least(position: int | None) -> str | None:
    """A replica that has replayed up to `position`, or None (read the primary).

    None when there are no replicas, the position is unknown, or no live replica has caught up.
    One query per replica tried; a replica that errors is skipped for a few seconds.
    """
    if position is None:
        return None
    candidates = replicas()
    random.shuffle(candidates)
    now = time.monotonic()
    for alias in candidates:
        if _failed_until.get(alias, 0.0) > now:
            continue
        try:
            replayed = _replay_lsn(alias)
        except DatabaseError as exc:
            with _failed_lock:
                _failed_until[alias] = now + REPLICA_RETRY_SECONDS
            logger.warning("replica %s unavailable, reading the primary: %s", alias, exc)
            with contextlib.suppress(DatabaseError):
                connections[alias].close()
            continue
        if replayed is not None and replayed >= position:
            return alias
    return None
