#!/usr/bin/env python3
"""`make faults`: inject the failures production meets and check the service keeps its promises.

Starts the harness stack (`.ci/stack.py`: its own PostgreSQL and Redis, so it may stop and start
them, a seeded database and the production server through bin/serve with the shipped configuration,
config/server.py: granian, 3 workers, production settings, on loopback), then runs these scenarios with
threads and http.client:

1. Redis stopped under load: no 5xx, every write acknowledged, `/health/ready` degraded during
   the outage and ok after it, and every cached endpoint equal to the database afterwards.
2. Redis partitioned (`CLIENT PAUSE ... ALL`: it keeps its entries but answers nobody) while
   ratings are written: once it answers again, no stale cached copy survives past one second.
3. PostgreSQL stopped: fast 503 problem details, no traceback, readiness 503 and liveness 200,
   and recovery on its own, in the same worker processes, once PostgreSQL is back.
4. Workers SIGKILLed while ratings are written: the only client errors are the killed requests'
   dropped connections, and `recompute_statistics` finds no drift (no half-written rating).
5. A flood of reads for users that do not exist (kilobyte names): Redis memory and key count
   stay flat; then, with Redis full and refusing writes, the login throttle still answers 429.
6. Slow clients (SPEC 8): a second server (bin/serve, the shipped configuration, 2 workers), held
   by twice as many connections as workers, idle, then with half-sent headers, then with complete
   headers and a half-sent body, still answers a normal request within a second
   (HARNESS_SERVER=sync runs that server on gunicorn's sync workers instead: they fail it).

FAULTS_SCENARIOS=unknown_user_flood,slow_clients runs only the named scenarios.

Prints a report with figures, exits 1 if any promise was broken, and always stops what it
started. Only the scenarios live here: the stack is `.ci/stack.py`, the checks `.ci/checks.py`.
"""

import functools
import os
import random
import signal
import socket
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from checks import (
    Database,
    check_against_database,
    list_probes,
    movie_probes,
    stale,
    unconfirmed_writes,
    user_probes,
)
from stack import (
    REQUEST_TIMEOUT,
    Account,
    Fixture,
    Reply,
    Stack,
    call,
    concurrently,
    exchange,
    free_ports,
    harness_server,
    held_connections,
    log,
    percentile,
    raise_on_sigterm,
    stop_process,
    wait_until,
)

WORKERS = 3
MAX_REQUESTS_PER_THREAD = 100_000  # every load loop is bounded in count as well as in time


# --- Load -----------------------------------------------------------------------------------


class Load:
    """Reader and writer threads driving the service until stopped (bounded in time and count).

    Each writer thread owns its accounts, so one user's writes are sequential and the last
    acknowledged score of every (user, movie) is known; pairs whose last write got no answer
    are `unknown` (it may or may not have committed).
    """

    def __init__(
        self,
        port: int,
        *,
        read_paths: list[str],
        readers: int,
        writers: list[list[Account]],
        movies: list[int],
        max_seconds: float,
    ) -> None:
        self.port = port
        self.read_paths = read_paths
        self.movies = movies
        self.max_seconds = max_seconds
        self.replies: list[Reply] = []
        self.acked: dict[tuple[str, int], Decimal | None] = {}
        self.unknown: set[tuple[str, int]] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._read, args=(n,), daemon=True) for n in range(readers)]
        self._threads += [
            threading.Thread(target=self._write, args=(accounts, n), daemon=True) for n, accounts in enumerate(writers)
        ]

    def start(self) -> "Load":
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=REQUEST_TIMEOUT + 5)

    def _running(self, deadline: float) -> bool:
        return not self._stop.is_set() and time.monotonic() < deadline

    def _record(self, reply: Reply) -> None:
        with self._lock:
            self.replies.append(reply)

    def _read(self, seed: int) -> None:
        rng = random.Random(seed)
        deadline = time.monotonic() + self.max_seconds
        for _ in range(MAX_REQUESTS_PER_THREAD):
            if not self._running(deadline):
                return
            self._record(call(self.port, "GET", rng.choice(self.read_paths), kind="read"))

    def _write(self, accounts: list[Account], seed: int) -> None:
        rng = random.Random(1000 + seed)
        deadline = time.monotonic() + self.max_seconds
        for n in range(MAX_REQUESTS_PER_THREAD):
            if not self._running(deadline):
                return
            account, movie, score = accounts[n % len(accounts)], rng.choice(self.movies), rng.randint(1, 10) / 2
            reply = call(
                self.port,
                "PUT",
                f"/api/movies/{movie}/rating/",
                kind="write",
                token=account.token,
                payload={"score": score},
            )
            self._record(reply)
            pair = (account.username, movie)
            with self._lock:
                if reply.status in (200, 201):
                    self.acked[pair] = Decimal(str(score))
                    self.unknown.discard(pair)
                else:
                    self.unknown.add(pair)


# --- Scenarios ------------------------------------------------------------------------------


@dataclass
class Result:
    """One scenario's outcome: figures for the report and every promise it saw broken."""

    name: str
    figures: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    requests: int = 0
    server_errors: int = 0  # 5xx answers nobody asked for (the 503s of a database outage are asked for)

    def require(self, condition: bool, failure: str) -> None:
        if not condition:
            self.failures.append(failure)

    def count(self, replies: list[Reply], *, expected_status: int | None = None) -> None:
        self.requests += len(replies)
        self.server_errors += sum(1 for r in replies if r.status >= 500 and r.status != expected_status)


def redis_used_memory(stack: Stack) -> int:
    """Redis' `used_memory_dataset` in bytes: what its keys take, without the client buffers that
    come and go with connections."""
    for line in stack.redis_cli("INFO", "memory").stdout.splitlines():
        if line.startswith("used_memory_dataset:"):
            return int(line.split(":", 1)[1])
    return 0


def summarise(replies: list[Reply]) -> str:
    kinds = sorted({r.kind for r in replies})
    parts = []
    for kind in kinds:
        mine = [r for r in replies if r.kind == kind]
        parts.append(f"{kind} {len(mine)} (p50 {percentile([r.seconds for r in mine], 0.5) * 1000:.0f} ms)")
    return ", ".join(parts)


def unexpected(replies: list[Reply], allowed: dict[str, tuple[int, ...]]) -> list[Reply]:
    return [r for r in replies if r.status not in allowed.get(r.kind, (200,))]


class Scenarios:
    """The faults, run in turn against one stack; each returns its Result."""

    def __init__(self, stack: Stack, fixture: Fixture) -> None:
        self.stack = stack
        self.port = stack.port
        self.fixture = fixture
        self.db = Database(stack.env["DATABASE_URL"])
        accounts = fixture.accounts
        # Each scenario writes with users of its own, so their checks cannot disturb each other.
        self.redis_writers = [accounts[0:5], accounts[5:10], accounts[10:15]]
        self.partition_writers = accounts[15:18]
        self.outage_writer = accounts[18]
        self.kill_writers = [accounts[20 + 5 * n : 25 + 5 * n] for n in range(6)]

    # 1 -------------------------------------------------------------------------------------
    def redis_stopped(self) -> Result:
        """Stop Redis for 4 s under read and write load, start it again empty, compare caches with the rows."""
        result = Result("Redis stopped under load")
        movies = self.fixture.movies[:12]
        writer_names = [a.username for group in self.redis_writers for a in group]
        probes = list_probes() + movie_probes(movies) + user_probes(writer_names)
        load = Load(
            self.port,
            read_paths=[p.path for p in probes],
            readers=4,
            writers=self.redis_writers,
            movies=movies,
            max_seconds=60,
        ).start()
        health: list[Reply] = []
        try:
            time.sleep(2.0)
            self.stack.redis_cli("SHUTDOWN", "NOSAVE")
            down_at = time.monotonic()
            result.require(not self.stack.redis_answers(), "Redis still answered after SHUTDOWN NOSAVE")
            while time.monotonic() - down_at < 4.0:
                health.append(self.stack.ready())
                time.sleep(0.25)
            up_from = time.monotonic()
            self.stack.services("start")  # Redis again on the same port, empty
            up_at = time.monotonic()
            time.sleep(3.0)
        finally:
            load.stop()
            if not self.stack.redis_answers():
                self.stack.services("start")
        outage = [r for r in health if r.started >= down_at and r.ended <= up_from]
        healthy = {"status": "ok", "database": "ok", "cache": "ok"}
        back = wait_until(lambda: self.stack.ready().json() == healthy, 10)
        result.count(load.replies + health)

        errors = unexpected(load.replies, {"read": (200,), "write": (200, 201)})
        result.require(not errors, f"{len(errors)} failed requests, e.g. {[r.describe() for r in errors[:5]]}")
        degraded = [
            r
            for r in outage
            if r.status == 200 and r.json() == {"status": "degraded", "database": "ok", "cache": "down"}
        ]
        result.require(bool(outage), "no /health/ready answer was observed during the outage")
        result.require(
            len(degraded) == len(outage),
            f"/health/ready during the outage: {[r.describe() for r in outage if r not in degraded][:3]}",
        )
        result.require(back is not None, "/health/ready did not say ok within 10 s of Redis returning")
        checked, missing = unconfirmed_writes(self.db, load.acked, load.unknown)
        writes = [r for r in load.replies if r.kind == "write"]
        during = [r for r in load.replies if r.started >= down_at and r.ended <= up_from]
        result.require(not missing, f"acknowledged writes missing: {missing[:5]}")
        problems, seen = check_against_database(self.port, self.db, probes)
        result.require(not problems, f"cached endpoints disagree with the database: {problems[:5]}")
        result.figures += [
            f"load: {summarise(load.replies)}; {len(during)} of them while Redis was down ({up_at - down_at:.1f} s)",
            f"5xx: {result.server_errors}; connection errors: {sum(1 for r in load.replies if r.status == 0)}",
            f"/health/ready during the outage: {len(degraded)}/{len(outage)} said 200 degraded (cache down); "
            f"ok again {back if back is None else round(back + (up_at - up_from), 1)} s after the restart began",
            f"writes: {len(writes)} sent, {sum(1 for r in writes if r.status in (200, 201))} acknowledged; "
            f"final scores of {checked} (user, movie) pairs: {checked - len(missing)} found in the database",
            f"afterwards {len(probes)} cached endpoints read {sum(seen.values())} times "
            f"({seen.get('MISS', 0)} MISS, {seen.get('HIT', 0)} HIT): {len(problems)} disagreements with the database",
        ]
        return result

    # 2 -------------------------------------------------------------------------------------
    def redis_partitioned(self, cycles: int = 3, pause: float = 3.0, settle: float = 1.0) -> Result:
        """Each cycle: warm the caches; hold all workers but one with open connections; pause Redis;
        write one rating on the free worker (its invalidation is lost, and only that worker knows);
        let the partition heal and wait `settle` seconds with no traffic; then read endpoints the
        write changed on the held workers, which have not heard of the write, and finally every
        endpoint from all workers at once."""
        result = Result("Redis partitioned (CLIENT PAUSE ALL) while a rating is written")
        for cycle, account in enumerate(self.partition_writers[:cycles], start=1):
            movie = call(self.port, "GET", "/api/movies/top/").json()[0]["id"]
            probes = list_probes() + movie_probes([movie]) + user_probes([account.username])
            warm = [call(self.port, "GET", p.path, kind="warm") for p in probes for _ in range(2)]
            result.count(warm)
            if not all(r.status == 200 and r.cache == "HIT" for r in warm[1::2]):
                result.failures.append(f"cycle {cycle}: warming failed: {[r.describe() for r in warm[1::2]]}")
                continue
            affected = [p for p in probes if p.kind in ("top", "movie", "movie_ratings", "profile", "user_ratings")]
            first = random.Random(cycle).sample(affected, WORKERS - 1)

            held = held_connections(self.port, WORKERS - 1)
            try:
                self.stack.redis_cli("CLIENT", "PAUSE", str(int(pause * 1000)), "ALL")
                paused_at = time.monotonic()
                write = call(
                    self.port, "PUT", f"/api/movies/{movie}/rating/", token=account.token, payload={"score": 3.5}
                )
                written_at = time.monotonic()
                # Redis 7.0 holds even CLIENT UNPAUSE during an ALL pause: the partition heals when
                # the pause expires, which is when a PING gets its answer.
                self.stack.redis_cli("PING", timeout=pause + 30)
                time.sleep(settle)
                reads = [exchange(c, "GET", p.path, kind="read") for c, p in zip(held, first, strict=True)]
            finally:
                for connection in held:
                    connection.close()
            burst = probes * 2 * WORKERS
            reads += concurrently(
                [functools.partial(call, self.port, "GET", p.path, kind="read") for p in burst], WORKERS
            )
            result.count([write, *reads])
            stale_reads = [
                why for probe, reply in zip(first + burst, reads, strict=True) for why in stale(self.db, probe, reply)
            ]
            result.require(write.status == 201, f"cycle {cycle}: the write during the pause: {write.describe()}")
            result.require(
                written_at < paused_at + pause,
                f"cycle {cycle}: the write outlasted the {pause:.0f} s pause, so its invalidation was not lost",
            )
            result.require(not stale_reads, f"cycle {cycle}: {len(stale_reads)} stale reads, e.g. {stale_reads[:3]}")
            result.figures.append(
                f"cycle {cycle}: {len(probes)} endpoints warmed (HIT); Redis paused {pause:.0f} s; movie {movie} "
                f"rated meanwhile: {write.status} in {write.seconds:.2f} s; {settle:.0f} s after Redis answered "
                f"again, {len(reads)} reads (first on the {WORKERS - 1} other workers): {len(stale_reads)} stale"
            )
        return result

    # 3 -------------------------------------------------------------------------------------
    def postgres_stopped(self, limit: float = 5.0, hold: float = 3.0) -> Result:
        """Stop PostgreSQL for `hold` seconds of requests, start it again, expect recovery within `limit`."""
        result = Result("PostgreSQL stopped")
        account, movie = self.outage_writer, self.fixture.movies[0]
        username = self.fixture.accounts[0].username

        def requests() -> list[tuple[str, str, dict[str, Any]]]:
            fresh = uuid.uuid4().hex  # a key nobody cached: the view must ask the database
            return [
                ("GET", f"/api/movies/?probe={fresh}", {}),
                ("GET", f"/api/movies/{movie}/?probe={fresh}", {}),
                ("GET", f"/api/movies/{movie}/ratings/?probe={fresh}", {}),
                ("GET", f"/api/movies/top/?probe={fresh}", {}),
                ("GET", f"/api/genres/?probe={fresh}", {}),
                ("GET", f"/api/users/{username}/?probe={fresh}", {}),
                ("GET", f"/api/users/{username}/ratings/?probe={fresh}", {}),
                ("GET", "/api/users/me/", {"token": account.token}),
                ("GET", f"/api/movies/{movie}/rating/", {"token": account.token}),
                ("PUT", f"/api/movies/{movie}/rating/", {"token": account.token, "payload": {"score": 4.5}}),
            ]

        before = call(self.port, "PUT", f"/api/movies/{movie}/rating/", token=account.token, payload={"score": 4.0})
        result.require(before.status == 201, f"the rating written before the outage: {before.describe()}")
        pids = self.stack.worker_pids()
        self.stack.pg_ctl("stop", "-m", "fast")
        stopped_at = time.monotonic()
        try:
            outage: list[Reply] = []
            for _ in range(100):  # rounds in turn for `hold` seconds, then one round all at once
                outage += [call(self.port, m, p, kind="outage", **o) for m, p, o in requests()]
                if time.monotonic() - stopped_at > hold:
                    break
            outage += concurrently(
                [functools.partial(call, self.port, m, p, kind="outage", **o) for m, p, o in requests()],
                len(requests()),
            )
            ready, live = self.stack.ready(), call(self.port, "GET", "/health/live", kind="live")
        finally:
            self.stack.services("start")  # PostgreSQL again, same data directory and port
        started_at = time.monotonic()

        def recovered() -> bool:
            return all([call(self.port, m, p, **o).status in (200, 201) for m, p, o in requests()])

        recovery = wait_until(recovered, 30, 0.2)
        after = [call(self.port, m, p, kind="after", **o) for _ in range(2) for m, p, o in requests()]
        result.count([*outage, ready], expected_status=503)
        result.count([live, *after])

        bad = []
        for reply in outage:
            try:
                body = reply.json()
            except ValueError:
                body = None
            if not (
                reply.status == 503
                and reply.headers.get("content-type", "").startswith("application/problem+json")
                and isinstance(body, dict)
                and body.get("status") == 503
                and b"Traceback" not in reply.body
                and b'File "' not in reply.body
                and reply.seconds < limit
            ):
                bad.append(reply.describe())
        result.require(not bad, f"{len(bad)} outage answers were not fast 503 problem details: {bad[:4]}")
        result.require(
            ready.status == 503 and (ready.json() or {}).get("database") == "down",
            f"/health/ready during the outage: {ready.describe()}",
        )
        result.require(live.status == 200, f"/health/live during the outage: {live.describe()}")
        result.require(recovery is not None and recovery < limit, f"no recovery within {limit:.0f} s: {recovery}")
        result.require(
            all(r.status in (200, 201) for r in after), f"after: {[r.describe() for r in after if r.status >= 300][:3]}"
        )
        now = self.stack.worker_pids()
        result.require(now == pids, f"worker processes changed: {sorted(pids)} -> {sorted(now)}")
        statuses: dict[int, int] = {}
        for reply in outage:
            statuses[reply.status] = statuses.get(reply.status, 0) + 1
        result.figures += [
            f"{len(outage)} requests while PostgreSQL was down (in turn, then at once): statuses {statuses}, "
            f"slowest {max(r.seconds for r in outage):.2f} s (limit {limit:.0f} s), "
            f"Retry-After {sorted({r.headers.get('retry-after', '-') for r in outage})}",
            f"/health/ready {ready.status} {ready.body.decode(errors='replace')}, /health/live {live.status}",
            f"recovered {recovery if recovery is None else round(recovery, 2)} s after PostgreSQL started "
            f"({started_at - stopped_at:.1f} s outage); {len(after)} requests after: "
            f"{sum(1 for r in after if r.status in (200, 201))} succeeded; same {len(now)} worker pids: {now == pids}",
        ]
        return result

    # 4 -------------------------------------------------------------------------------------
    def workers_killed(self, kills: int = 3, spacing: float = 6.5, margin: float = 3.0) -> Result:
        """SIGKILL a worker every `spacing` seconds while writers keep every worker busy. Before each
        kill every worker has booted, so the victim is a serving worker and two always remain.
        `spacing` is above granian's crash-loop window (a worker slot that dies again within 5.5 s
        of its respawn stops the whole server, config/server.py): this scenario is about requests
        lost with a worker, not about a crash loop."""
        result = Result("server workers SIGKILLed mid-request")
        rng = random.Random(4)
        load = Load(
            self.port,
            read_paths=[],
            readers=0,
            writers=self.kill_writers,
            movies=self.fixture.movies[:30],
            max_seconds=120,
        ).start()
        killed: list[tuple[float, int]] = []
        try:
            for _ in range(kills):
                time.sleep(spacing)
                if wait_until(lambda: len(self.stack.serving_workers()) == WORKERS, 60) is None:
                    result.failures.append(f"the server did not get back to {WORKERS} serving workers within 60 s")
                    break
                pid = rng.choice(sorted(self.stack.serving_workers()))
                os.kill(pid, signal.SIGKILL)
                killed.append((time.monotonic(), pid))
            time.sleep(spacing)
        finally:
            load.stop()
        killed_pids = {pid for _, pid in killed}
        since_last_kill = time.monotonic() - killed[-1][0] if killed else 0.0
        replaced = wait_until(
            lambda: (
                len(pids := self.stack.serving_workers()) == WORKERS
                and not pids & killed_pids
                and self.stack.ready().status == 200
            ),
            60,
        )
        result.count(load.replies)

        dropped = [r for r in load.replies if r.status == 0]
        refused = [r for r in load.replies if r.status not in (0, 200, 201)]
        unexplained = [r for r in dropped if not any(at <= r.ended <= at + margin for at, _ in killed)]
        result.require(not refused, f"answers other than 200/201: {[r.describe() for r in refused[:5]]}")
        # A threaded worker dies with every request it was serving: at most one per writer thread.
        in_flight = len(self.kill_writers)
        result.require(
            len(dropped) <= len(killed) * in_flight,
            f"{len(dropped)} dropped connections for {len(killed)} killed workers ({in_flight} writer threads)",
        )
        result.require(not unexplained, f"connection errors away from any kill: {[r.describe() for r in unexplained]}")
        result.require(replaced is not None, "the server did not replace the killed workers within 60 s")
        checked, missing = unconfirmed_writes(self.db, load.acked, load.unknown)
        result.require(not missing, f"acknowledged writes missing: {missing[:5]}")
        drift = self.stack.manage("recompute_statistics").strip()
        result.require(drift.startswith("No drift"), f"recompute_statistics: {drift}")
        result.figures += [
            f"{len(load.replies)} rating writes by {len(self.kill_writers)} threads; {len(killed)} workers SIGKILLed "
            f"({', '.join(str(pid) for _, pid in killed)}), each once all {WORKERS} were serving; {WORKERS} serving "
            f"again {'never' if replaced is None else f'{since_last_kill + replaced:.1f} s after the last kill'}",
            f"client errors: {len(dropped)} dropped connections ({sorted({r.error.split(':')[0] for r in dropped})}), "
            f"{len(refused)} other non-2xx, 5xx: {result.server_errors}",
            f"final scores of {checked} (user, movie) pairs: {checked - len(missing)} found in the database "
            f"({len(load.unknown)} pairs left unknown by a dropped request are not checked)",
            f"recompute_statistics (after all scenarios): {drift}",
        ]
        return result

    # 5 -------------------------------------------------------------------------------------
    def unknown_user_flood(self) -> Result:
        """Read lists of users that do not exist, with 3,000-character names, from 8 threads: Redis
        must not grow. Then fill Redis until it refuses writes: the login throttle still holds."""
        result = Result("flood of unknown-user reads, then Redis full")
        self.stack.redis_cli("FLUSHALL")
        warm = concurrently([functools.partial(call, self.port, "GET", p.path, kind="warm") for p in list_probes()], 4)
        before_keys = int(self.stack.redis_cli("DBSIZE").stdout.strip() or 0)
        before_memory = redis_used_memory(self.stack)
        rng = random.Random(5)
        paths = [f"/api/users/{rng.randbytes(1500).hex()}/ratings/" for _ in range(600)]
        paths += [f"/api/users/{rng.randbytes(1500).hex()}/" for _ in range(300)]
        paths += [f"/api/movies/{rng.randrange(10**8, 10**9)}/ratings/" for _ in range(300)]
        flood = concurrently([functools.partial(call, self.port, "GET", p, kind="flood") for p in paths], 8)
        result.count(warm + flood)
        after_keys = int(self.stack.redis_cli("DBSIZE").stdout.strip() or 0)
        after_memory = redis_used_memory(self.stack)
        statuses = sorted({r.status for r in flood})
        result.require(statuses == [404], f"the flood's answers were {statuses}, not only 404s")
        result.require(after_keys == before_keys, f"Redis keys went from {before_keys} to {after_keys}")
        result.require(
            after_memory - before_memory < 64 * 1024,
            f"Redis memory (dataset) grew by {(after_memory - before_memory) / 1024:.0f} KiB",
        )
        no_ttl = [
            k
            for k in self.stack.redis_cli("KEYS", "*").stdout.split()
            if self.stack.redis_cli("TTL", k).stdout.strip() == "-1"
        ]
        result.require(not no_ttl, f"{len(no_ttl)} keys without a TTL, e.g. {no_ttl[:3]}")

        # Redis full: nothing it may evict, so every write is refused with OOM (reads still work).
        self.stack.redis_cli("CONFIG", "SET", "maxmemory-policy", "noeviction")
        self.stack.redis_cli("CONFIG", "SET", "maxmemory", "1")
        probe = self.stack.redis_cli("SET", "filler:probe", "x")
        refused = "OOM" in probe.stdout + probe.stderr
        result.require(refused, f"Redis did not refuse writes: {probe.stdout + probe.stderr!r}")
        logins = [
            call(
                self.port, "POST", "/api/auth/token/", kind="login", payload={"username": "nobody", "password": "wrong"}
            )
            for _ in range(12)
        ]
        reads = [call(self.port, "GET", p.path, kind="read") for p in list_probes()[:4]]
        self.stack.redis_cli("CONFIG", "SET", "maxmemory", "0")
        self.stack.redis_cli("CONFIG", "SET", "maxmemory-policy", "volatile-lru")
        self.stack.redis_cli("FLUSHALL")
        result.count(logins + reads)
        login_statuses = [r.status for r in logins]
        result.require(
            login_statuses[:10] == [401] * 10 and login_statuses[10:] == [429, 429],
            f"logins with Redis full answered {login_statuses}, not ten 401s and then 429s",
        )
        result.require(
            all(r.status == 200 for r in reads),
            f"reads with Redis full: {[r.describe() for r in reads if r.status != 200]}",
        )
        result.figures += [
            f"{len(flood)} reads of unknown users and movies ({summarise(flood)}): Redis keys {before_keys} -> "
            f"{after_keys}, used memory (dataset) {before_memory / 1024:.0f} -> {after_memory / 1024:.0f} KiB",
            f"Redis full (noeviction, writes refused: {refused}): 12 wrong logins answered {login_statuses}; "
            f"{len(reads)} reads answered {[r.status for r in reads]}",
        ]
        return result

    # 6 -------------------------------------------------------------------------------------
    def slow_clients(self) -> Result:
        """A second server, bin/serve with the shipped configuration and 2 workers: SPEC 8's promise,
        twice as many connections as workers held open (idle, then with half-sent headers, then with
        complete headers and a half-sent body, which the application is reading); a normal request
        must still be answered within a second."""
        workers = 2
        held_count = 2 * workers  # SPEC 8: twice as many idle or half-sent connections as workers
        server_kind = harness_server()
        result = Result(f"slow clients against {workers} workers ({server_kind})")
        port = free_ports(1)[0]
        server = self.stack.serve(port, workers, server=server_kind)
        body = b'{"username": "nobody", "password": "' + b"x" * 64 + b'"}'
        try:
            if wait_until(lambda: call(port, "GET", "/health/live", timeout=2).status == 200, 60, 0.2) is None:
                result.failures.append("the second server did not start")
                return result
            for _ in range(3):  # every worker warm
                call(port, "GET", "/api/movies/")
            for phase, opening in (
                ("idle", b""),
                ("half-sent headers", b"GET /api/movies/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "),
                (
                    "half-sent body",
                    b"POST /api/auth/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body[:20],
                ),
            ):
                held = []
                for _ in range(held_count):
                    sock = socket.create_connection(("127.0.0.1", port), timeout=REQUEST_TIMEOUT)
                    if opening:
                        sock.sendall(opening)
                    held.append(sock)
                time.sleep(0.5)  # time for the workers to accept them
                replies = [call(port, "GET", "/api/movies/", kind=phase, timeout=5) for _ in range(5)]
                for sock in held:
                    sock.close()
                result.count(replies)
                slow = [r for r in replies if r.status != 200 or r.seconds > 1.0]
                result.require(not slow, f"with {held_count} {phase} connections held: {[r.describe() for r in slow]}")
                result.figures.append(
                    f"{held_count} connections held ({phase}): normal requests answered "
                    f"{[r.status for r in replies]} in {', '.join(f'{r.seconds * 1000:.0f}' for r in replies)} ms"
                )
        finally:
            stop_process(server, timeout=30)
        return result


def report(result: Result) -> None:
    log(f"== {result.name}: {'PASS' if not result.failures else 'FAIL'}")
    for line in result.figures:
        print(f"     {line}", flush=True)
    for line in result.failures:
        print(f"  !! {line}", flush=True)


def main() -> int:
    raise_on_sigterm()
    started = time.monotonic()
    # The load is the point, not the throttle.
    stack = Stack("faults", THROTTLE_WRITES="100000/min")
    results: list[Result] = []
    try:
        fixture = stack.start(users=50, workers=WORKERS)
        scenarios = Scenarios(stack, fixture)
        chosen = {name.strip() for name in os.environ.get("FAULTS_SCENARIOS", "").split(",") if name.strip()}
        for run in (
            scenarios.redis_stopped,
            scenarios.redis_partitioned,
            scenarios.postgres_stopped,
            scenarios.workers_killed,
            scenarios.unknown_user_flood,
            scenarios.slow_clients,
        ):
            if chosen and run.__name__ not in chosen:
                continue
            log(f"scenario: {run.__name__.replace('_', ' ')}")
            try:
                result = run()
            except Exception:  # a broken scenario must not hide the others' results
                result = Result(run.__name__.replace("_", " "), failures=[traceback.format_exc()])
            if exited := stack.server_exited():
                result.failures.append(exited)
            report(result)
            results.append(result)
            if exited:
                break
        scenarios.db.close()
        explained, unexplained = stack.server_errors()
    finally:
        stack.stop()
    failed = [r for r in results if r.failures]
    log(
        f"faults: {len(results)} scenarios in {time.monotonic() - started:.0f} s, "
        f"{sum(r.requests for r in results)} requests, {sum(r.server_errors for r in results)} unexpected 5xx; "
        f"server log: {explained} error lines the faults explain, {len(unexplained)} others; "
        + ("PASS" if not failed else f"FAIL ({', '.join(r.name for r in failed)})")
    )
    for line in unexplained[:10]:
        print(f"     server log: {line[:300]}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
