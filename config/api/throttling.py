"""Throttles (SPEC section 8), counted atomically in the database, never in the cache.

Why the database: the cache (Redis) may be full and evicting, or down. A throttle kept there
either fails open (an attacker fills Redis, then guesses passwords at full speed) or fails closed
(a Redis outage locks everyone out). The attempts these throttles count (logins, sign-ups,
account changes, token refreshes, rating writes) each cost a database write or a password hash
anyway, so one more small upsert is cheap, and PostgreSQL neither evicts nor loses it.

How: each rate `N/period` splits time into buckets of one period. An attempt is one statement,
`INSERT .. ON CONFLICT (ident, bucket) DO UPDATE SET hits = hits + 1 RETURNING hits, (the
previous bucket's hits)`, which PostgreSQL serialises per row: of 40 concurrent attempts each sees
a different count, so exactly the first N pass (`users/tests/test_throttling.py`). The limit is a
sliding window: the previous bucket's count weighs in for the part of it that the window still
covers, so a burst across a bucket boundary cannot double the rate. That count is read by a
subquery of the same statement's RETURNING (one round trip per attempt, on PostgreSQL and SQLite
alike); it sees the statement's snapshot, which is what a separate `SELECT` before the upsert saw,
and the previous bucket no longer changes once its period is over. Rows expire two periods after
their bucket starts and about one attempt in a hundred prunes the expired ones (one more
statement then), so the table stays small.

Identities are hashed (`scope:sha256(ident)`), so a kilobyte-long username costs the same
100-character key as any other. Client addresses come from `REMOTE_ADDR` unless `NUM_PROXIES`
says how many proxies in front of the service append to `X-Forwarded-For`.
"""

import hashlib
import random
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from config import metrics
from config.models import ThrottleCounter

PRUNE_PROBABILITY = 0.01

_TABLE = ThrottleCounter._meta.db_table
# One statement per attempt: count it in its bucket, and return the count with the previous
# bucket's (NULL when there was none), read by a subquery in RETURNING.
_HIT = (
    f"INSERT INTO {_TABLE} (ident, bucket, hits, expires_at) VALUES (%s, %s, 1, %s) "
    f"ON CONFLICT (ident, bucket) DO UPDATE SET hits = {_TABLE}.hits + 1 "
    f"RETURNING hits, (SELECT previous.hits FROM {_TABLE} AS previous "
    f"WHERE previous.ident = %s AND previous.bucket = %s)"
)
_REFUND = f"UPDATE {_TABLE} SET hits = hits - 1 WHERE ident = %s AND bucket = %s AND hits > 0"
_PRUNE = f"DELETE FROM {_TABLE} WHERE expires_at < %s"


def parse_rate(rate: str) -> tuple[int, int]:
    """`"10/min"` -> (10, 60): DRF's rate syntax (`s`, `m`, `h`, `d` and longer spellings)."""
    num_requests, duration = SimpleRateThrottle.parse_rate(None, rate)  # type: ignore[arg-type]
    return int(num_requests or 0), int(duration or 1)


def rate_for(scope: str) -> str | None:
    """The scope's rate from `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`, read at request time."""
    rates: dict[str, Any] = api_settings.DEFAULT_THROTTLE_RATES
    return rates.get(scope)


def client_ip(request: HttpRequest | Request) -> str:
    """The client's address: `REMOTE_ADDR`, or the `NUM_PROXIES`-th address from the right of
    `X-Forwarded-For` when the deployment says that many proxies append to it."""
    meta = request.META
    remote_addr = str(meta.get("REMOTE_ADDR") or "")
    num_proxies = api_settings.NUM_PROXIES or 0
    forwarded = str(meta.get("HTTP_X_FORWARDED_FOR") or "")
    if num_proxies > 0 and forwarded:
        addresses = [address.strip() for address in forwarded.split(",") if address.strip()]
        if addresses:
            return addresses[-min(num_proxies, len(addresses))]
    return remote_addr


def normalised_username(username: object) -> str:
    """A username as the account rules see it: NFKC, then case-folded (full-width `ADMIN` is `admin`)."""
    return unicodedata.normalize("NFKC", str(username)).casefold()


@dataclass(frozen=True)
class Attempt:
    """One counted attempt: where it was counted, and whether it stayed within the limit."""

    ident: str
    bucket: int
    allowed: bool
    wait: float


def _key(scope: str, ident: str) -> str:
    return f"{scope}:{hashlib.sha256(ident.encode('utf-8', 'surrogatepass')).hexdigest()}"


def count_attempt(scope: str, ident: str, rate: str) -> Attempt:
    """Count one attempt of `ident` against `rate`, atomically; say whether it is allowed."""
    limit, duration = parse_rate(rate)
    now = time.time()
    bucket = int(now // duration)
    key = _key(scope, ident)
    expires_at = datetime.fromtimestamp((bucket + 2) * duration, tz=UTC)
    with connection.cursor() as cursor:
        cursor.execute(_HIT, [key, bucket, expires_at, key, bucket - 1])
        hits, previous = cursor.fetchone()
        if random.random() < PRUNE_PROBABILITY:  # not a secret: only when to tidy up
            cursor.execute(_PRUNE, [datetime.fromtimestamp(now, tz=UTC)])
    elapsed = now - bucket * duration
    weighted = (previous or 0) * (1 - elapsed / duration) + hits
    return Attempt(ident=key, bucket=bucket, allowed=weighted <= limit, wait=max(1.0, duration - elapsed))


def refund_attempt(attempt: Attempt) -> None:
    """Take back an attempt that turned out not to count (a successful login)."""
    with connection.cursor() as cursor:
        cursor.execute(_REFUND, [attempt.ident, attempt.bucket])


class DatabaseRateThrottle(BaseThrottle):
    """Counts each request once per identity (`idents`) against the scope's rate, in the database.

    Every request counts, refused ones included, so hammering a closed door keeps it closed.
    """

    scope = ""

    def __init__(self) -> None:
        self.attempts: list[Attempt] = []
        self._wait = 0.0

    def idents(self, request: Request, view: Any) -> Iterable[str]:
        raise NotImplementedError

    def allow_request(self, request: Request, view: Any) -> bool:
        rate = rate_for(self.scope)
        if rate is None:
            return True
        self.attempts = [count_attempt(self.scope, ident, rate) for ident in self.idents(request, view)]
        refused = [attempt for attempt in self.attempts if not attempt.allowed]
        self._wait = max((attempt.wait for attempt in refused), default=0.0)
        if refused:
            metrics.THROTTLED.labels(self.scope).inc()
        return not refused

    def wait(self) -> float | None:
        return self._wait or None


class ClientIpRateThrottle(DatabaseRateThrottle):
    """Counts per client IP, whoever is logged in."""

    def idents(self, request: Request, view: Any) -> Iterable[str]:
        return [f"ip:{client_ip(request)}"]


class LoginRateThrottle(DatabaseRateThrottle):
    """Logins, per client IP and per username (failed attempts count from any address).

    The username's attempt is counted before the password is checked, so concurrent guesses
    cannot slip past the limit; the login view refunds it when the password was right.
    """

    scope = "login"

    def idents(self, request: Request, view: Any) -> Iterable[str]:
        idents = [f"ip:{client_ip(request)}"]
        username = request.data.get("username") if hasattr(request.data, "get") else None
        if isinstance(username, str) and username:
            idents.append(f"user:{normalised_username(username)}")
        return idents

    def refund_username(self) -> None:
        for attempt in self.attempts[1:]:
            refund_attempt(attempt)


class RegisterRateThrottle(ClientIpRateThrottle):
    scope = "register"


class RefreshRateThrottle(ClientIpRateThrottle):
    scope = "refresh"


class UserRateThrottle(DatabaseRateThrottle):
    """Counts per authenticated user (falls back to the IP for anonymous callers)."""

    def idents(self, request: Request, view: Any) -> Iterable[str]:
        user = request.user
        return [f"user:{user.pk}" if user and user.is_authenticated else f"ip:{client_ip(request)}"]


class WriteRateThrottle(UserRateThrottle):
    scope = "writes"


class AccountRateThrottle(UserRateThrottle):
    """Account changes per authenticated user (`THROTTLE_ACCOUNT`): profile edits, password changes."""

    scope = "account"


class AccountIpRateThrottle(ClientIpRateThrottle):
    """Account changes per client IP (`THROTTLE_ACCOUNT`), signed in or not: password changes,
    reset requests and reset confirmations."""

    scope = "account"


class AccountTargetRateThrottle(DatabaseRateThrottle):
    """Account changes per target named in the body (`THROTTLE_ACCOUNT`), such as the email a
    reset is asked for. Counted whether or not such an account exists, so the limit reveals
    nothing; the value is hashed (as every identity here), so the key stays short."""

    scope = "account"
    field = ""

    def idents(self, request: Request, view: Any) -> Iterable[str]:
        data = request.data
        value = data.get(self.field) if isinstance(data, dict) else None
        if not isinstance(value, str) or not value.strip():
            return []  # the body is invalid and gets its 400; nothing to count against
        return [f"{self.field}:{value.strip().lower()}"]


class ResetEmailRateThrottle(AccountTargetRateThrottle):
    field = "email"
