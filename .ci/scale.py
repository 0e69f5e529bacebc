#!/usr/bin/env python3
"""`make scale`: the service beyond one machine, on real parts from Debian's packages (SPEC 17).

Starts, through the shared stack module (`.ci/stack.py`), on loopback and with free ports:
a PostgreSQL primary and a streaming replica of it (`pg_basebackup -R`), PgBouncer in transaction
pooling mode in front of both (`deploy/pgbouncer.ini`), Redis, three web replicas through
`bin/serve` (`DATABASE_URL` and `DATABASE_REPLICA_URLS` through PgBouncer,
`DATABASE_POOLER=pgbouncer`) and nginx in front of them (`deploy/nginx.conf`). Then, with bearer
tokens on every request and a mix of public reads and rating writes, all through nginx:

1. throughput and latency with one web replica, then with three (nginx reloaded);
2. one web replica SIGKILLed under load: only requests in flight on it may fail, nginx routes
   around it, and the replica rejoins once restarted;
3. PgBouncer stopped and started again under load: requests fail only while it is down (plus a
   short grace), and the service recovers by itself;
4. replay paused on the replica (`pg_wal_replay_pause()`): after every acknowledged write, the
   writer's public profile, rated list, the movie and its ratings list are read through nginx,
   from any web replica, and none is stale; the replica is shown to really lag;
5. at the end: every acknowledged write is in the database, `recompute_statistics` finds no
   drift, and every cached endpoint equals the database (`.ci/checks.py`).

Prints a report and exits 1 on any broken promise; always stops what it started.
"""

import os
import random
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from checks import Database, check_against_database, list_probes, movie_probes, unconfirmed_writes, user_probes
from stack import (
    Account,
    Fixture,
    Nginx,
    PgBouncer,
    Reply,
    Stack,
    Web,
    call,
    log,
    percentile,
    raise_on_sigterm,
    wait_until,
)

WEB_WORKERS = int(os.environ.get("SCALE_WORKERS", "2"))  # per web replica
THREADS = int(os.environ.get("SCALE_THREADS", "12"))
PHASE_SECONDS = float(os.environ.get("SCALE_SECONDS", "8"))
USERS_PER_THREAD = 2
WRITE_SHARE = 0.2
WRITTEN_MOVIES = 30  # writes land on the most-rated movies, so writers meet on the same rows
PGBOUNCER_DOWN_SECONDS = 1.0
RECOVERY_GRACE_SECONDS = 2.0  # after PgBouncer listens again, failures must stop within this
MAX_REQUESTS_PER_THREAD = 100_000
WARM_UP_SECONDS = 2.0  # unmeasured load before each throughput measurement


@dataclass
class Outcome:
    """A phase's figures and the promises it broke."""

    name: str
    replies: list[Reply] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def require(self, condition: bool, message: str) -> None:
        if not condition:
            self.failures.append(message)

    def figures(self) -> str:
        ok = [r for r in self.replies if 200 <= r.status < 300]
        reads = [r.seconds for r in ok if r.method == "GET"]
        writes = [r.seconds for r in ok if r.method == "PUT"]
        failed = len(self.replies) - len(ok)
        rps = len(ok) / self.seconds if self.seconds else 0.0
        every = [r.seconds for r in ok]

        def ms(values: list[float], fraction: float) -> str:
            return f"{percentile(values, fraction) * 1000:.0f} ms"

        return (
            f"{len(self.replies)} requests, {rps:.0f} ok/s, p50 {ms(every, 0.5)}, p99 {ms(every, 0.99)} "
            f"(reads p99 {ms(reads, 0.99)}, writes p99 {ms(writes, 0.99)}), {failed} failed"
        )


class Ledger:
    """The last acknowledged score of each (user, movie), and pairs whose last write got no clear answer."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.acked: dict[tuple[str, int], Decimal | None] = {}
        self.unknown: set[tuple[str, int]] = set()

    def record(self, username: str, movie: int, score: Decimal, reply: Reply) -> None:
        with self.lock:
            if reply.status in (200, 201):
                self.acked[(username, movie)] = score
                self.unknown.discard((username, movie))
            elif reply.status == 0 or reply.status >= 500:
                self.unknown.add((username, movie))


class Harness:
    def __init__(self, stack: Stack, fixture: Fixture, nginx: Nginx) -> None:
        self.stack = stack
        self.fixture = fixture
        self.nginx = nginx
        self.ledger = Ledger()
        self.accounts = list(fixture.accounts)
        self.movies = fixture.movies[:WRITTEN_MOVIES]
        self.written_movies: set[int] = set()
        self.rejoined: tuple[Web, int] | None = None  # the restarted replica, and what it had served then
        self.writers: set[str] = set()

    def take_accounts(self, count: int) -> list[Account]:
        taken, self.accounts = self.accounts[:count], self.accounts[count:]
        if len(taken) < count:
            raise RuntimeError("the harness ran out of fresh users; mint more")
        return taken

    # --- load ---------------------------------------------------------------------------------

    def read_path(self, rng: random.Random, account: Account) -> str:
        movie = rng.choice(self.fixture.movies[:60])
        return rng.choice(
            [
                f"/api/movies/{movie}/",
                f"/api/movies/{movie}/ratings/",
                f"/api/movies/?page={rng.randint(1, 3)}",
                "/api/movies/?ordering=-weighted_rating",
                "/api/movies/top/",
                "/api/genres/",
                f"/api/users/{account.username}/",
                f"/api/users/{account.username}/ratings/",
            ]
        )

    def write(self, account: Account, movie: int, score: Decimal) -> Reply:
        reply = call(
            self.nginx.port,
            "PUT",
            f"/api/movies/{movie}/rating/",
            kind="write",
            token=account.token,
            payload={"score": str(score)},
        )
        self.ledger.record(account.username, movie, score, reply)
        self.written_movies.add(movie)
        self.writers.add(account.username)
        return reply

    def load(self, seconds: float, during: Callable[[float], None] | None = None) -> tuple[list[Reply], float]:
        """THREADS threads of mixed reads and writes through nginx for `seconds`; `during(started)`
        runs on this thread meanwhile (a fault). Returns the replies and the elapsed time."""
        replies: list[Reply] = []
        lock = threading.Lock()
        started = time.monotonic()
        deadline = started + seconds

        def worker(index: int, accounts: list[Account]) -> None:
            rng = random.Random(index * 7919 + int(started))
            mine: list[Reply] = []
            for _ in range(MAX_REQUESTS_PER_THREAD):
                if time.monotonic() >= deadline:
                    break
                account = rng.choice(accounts)
                if rng.random() < WRITE_SHARE:
                    score = Decimal(rng.randint(1, 10)) / 2
                    mine.append(self.write(account, rng.choice(self.movies), score))
                else:
                    path = self.read_path(rng, account)
                    mine.append(call(self.nginx.port, "GET", path, kind="read", token=account.token))
            with lock:
                replies.extend(mine)

        threads = [
            threading.Thread(target=worker, args=(n, self.take_accounts(USERS_PER_THREAD)), daemon=True)
            for n in range(THREADS)
        ]
        for thread in threads:
            thread.start()
        if during is not None:
            during(started)
        for thread in threads:
            thread.join(timeout=seconds + 60)
        return replies, time.monotonic() - started

    # --- phases -------------------------------------------------------------------------------

    def replica_activity(self) -> int:
        """Scans of the catalogue and ratings tables the streaming replica has run (its own
        statistics, counted on the standby; the harness itself never reads these tables there)."""
        replica = Database(self.stack.env["DATABASE_REPLICA_URL"])
        try:
            rows = replica.rows(
                "SELECT coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0) FROM pg_stat_user_tables "
                "WHERE relname IN ('movies_movie', 'ratings_rating', 'users_user')"
            )
            return int(rows[0][0])
        finally:
            replica.close()

    def throughput(self, webs: list[Web], count: int) -> Outcome:
        outcome = Outcome(f"throughput with {count} web replica{'s' if count > 1 else ''}")
        self.nginx.reload([web.port for web in webs[:count]])
        self.load(WARM_UP_SECONDS)  # every worker thread opens its connections before the measurement
        before = self.replica_activity()
        outcome.replies, outcome.seconds = self.load(PHASE_SECONDS)
        time.sleep(0.6)  # the replica's statistics are flushed at most every 0.5 s
        served = self.replica_activity() - before
        outcome.notes.append(f"table scans run by the streaming replica (public reads it served): {served}")
        bad = [r for r in outcome.replies if not 200 <= r.status < 300]
        outcome.require(not bad, f"{len(bad)} failed requests: {describe(bad)}")
        outcome.require(served > 0, "the streaming replica served no reads: public reads are not routed to it")
        return outcome

    def web_replica_killed(self, webs: list[Web]) -> Outcome:
        outcome = Outcome("a web replica SIGKILLed under load")
        victim = webs[-1]
        killed: list[float] = []

        def kill(started: float) -> None:
            time.sleep(PHASE_SECONDS / 3)
            killed.append(time.monotonic())
            victim.kill()

        outcome.replies, outcome.seconds = self.load(PHASE_SECONDS, during=kill)
        at = killed[0]
        failed = [r for r in outcome.replies if not 200 <= r.status < 300]
        in_flight = [r for r in failed if r.started <= at <= r.ended]
        later = [r for r in failed if r.started > at]
        outcome.notes.append(
            f"{len(failed)} failed requests: {len(in_flight)} in flight at the kill, {len(later)} sent after it"
        )
        outcome.require(not later, f"{len(later)} requests sent after the kill failed: {describe(later)}")
        outcome.require(
            len(in_flight) <= victim.capacity, f"{len(in_flight)} in flight failed, {victim.capacity} threads"
        )
        outcome.require(not [r for r in failed if r not in in_flight], "failures outside the kill's in-flight requests")
        restart = time.monotonic()
        victim.start()
        self.rejoined = (victim, victim.served())
        outcome.notes.append(f"{victim.name} restarted and ready in {time.monotonic() - restart:.1f} s")
        return outcome

    def pgbouncer_restarted(self, pgbouncer: PgBouncer) -> Outcome:
        outcome = Outcome("PgBouncer restarted under load")
        times: dict[str, float] = {}

        def restart(started: float) -> None:
            time.sleep(PHASE_SECONDS / 4)
            times["stopped"] = time.monotonic()
            pgbouncer.stop()
            times["exited"] = time.monotonic()
            time.sleep(PGBOUNCER_DOWN_SECONDS)
            pgbouncer.start()
            times["listening"] = time.monotonic()

        outcome.replies, outcome.seconds = self.load(PHASE_SECONDS, during=restart)
        down_from, back_at = times["stopped"], times["listening"]
        failed = [r for r in outcome.replies if not 200 <= r.status < 300]
        outside = [r for r in failed if r.ended < down_from or r.started > back_at + RECOVERY_GRACE_SECONDS]
        not_503 = [r for r in failed if r.status not in (503,)]
        recovered = [r.ended - back_at for r in outcome.replies if r.started >= back_at and 200 <= r.status < 300]
        first_ok = min(recovered) if recovered else None
        after = back_at + RECOVERY_GRACE_SECONDS
        writes_after = [r for r in outcome.replies if r.method == "PUT" and r.started > after]
        outcome.notes.append(
            f"PgBouncer down {back_at - down_from:.1f} s (exited {times['exited'] - down_from:.2f} s after SIGTERM); "
            f"{len(failed)} failed requests "
            f"({len(not_503)} not a 503); first success {first_ok if first_ok is None else f'{first_ok:.2f} s'} "
            f"after it listened again; {sum(1 for r in writes_after if r.status in (200, 201))} writes acknowledged "
            "after the grace"
        )
        outcome.require(not outside, f"{len(outside)} failures outside the restart: {describe(outside)}")
        outcome.require(not not_503, f"failures that are not a 503: {[r.describe() for r in not_503[:3]]}")
        outcome.require(first_ok is not None, "the service did not recover after PgBouncer came back")
        outcome.require(bool(writes_after), "no write was acknowledged after the restart")
        return outcome

    def replay_paused(self) -> Outcome:
        """Every read after an acknowledged write shows it, while the replica replays nothing."""
        outcome = Outcome("replay paused on the replica: reads after writes")
        replica = Database(self.stack.env["DATABASE_REPLICA_URL"])
        primary = Database(self.stack.env["DATABASE_URL"])
        replica.rows("SELECT pg_wal_replay_pause()")
        wait_until(lambda: replica.rows("SELECT pg_get_wal_replay_pause_state()")[0][0] == "paused", 10)
        replayed_before = replica.rows("SELECT pg_last_wal_replay_lsn()::text")[0][0]
        stale: list[str] = []
        replies: list[Reply] = []
        lock = threading.Lock()
        started = time.monotonic()
        deadline = started + PHASE_SECONDS

        def writer(index: int, account: Account) -> None:
            rng = random.Random(index)
            rated: dict[int, Decimal] = {}
            mine: list[Reply] = []
            found: list[str] = []
            for _ in range(MAX_REQUESTS_PER_THREAD):
                if time.monotonic() >= deadline:
                    break
                movie, score = rng.choice(self.movies), Decimal(rng.randint(1, 10)) / 2
                reply = self.write(account, movie, score)
                mine.append(reply)
                if reply.status not in (200, 201):
                    found.append(f"write {reply.describe()}")
                    continue
                rated[movie] = score
                count_after = reply.json()["movie"]["ratings_count"]
                reads = {
                    "profile": f"/api/users/{account.username}/",
                    "rated": f"/api/users/{account.username}/ratings/?page_size=100",
                    "movie": f"/api/movies/{movie}/",
                    "ratings": f"/api/movies/{movie}/ratings/?page_size=100&score={score}",
                }
                for name, path in reads.items():
                    read = call(self.nginx.port, "GET", path, kind="stale-check", token=account.token)
                    mine.append(read)
                    data = read.json()
                    if read.status != 200 or data is None:
                        found.append(f"{name}: {read.describe()}")
                    elif name == "profile" and data["ratings_count"] != len(rated):
                        found.append(f"{path} [{read.cache}] counts {data['ratings_count']}, written {len(rated)}")
                    elif name == "rated":
                        shown = {item["movie"]["id"]: Decimal(str(item["score"])) for item in data["results"]}
                        if shown != rated:
                            found.append(f"{path} [{read.cache}] shows {shown}, written {rated}")
                    elif name == "movie" and data["ratings_count"] < count_after:
                        found.append(f"{path} [{read.cache}] counts {data['ratings_count']} < {count_after} written")
                    elif name == "ratings" and account.username not in {item["user"] for item in data["results"]}:
                        found.append(f"{path} [{read.cache}] lacks {account.username}'s {score}")
            with lock:
                replies.extend(mine)
                stale.extend(found)

        accounts = self.take_accounts(THREADS // 2)
        threads = [threading.Thread(target=writer, args=(n, a), daemon=True) for n, a in enumerate(accounts)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=PHASE_SECONDS + 60)
        outcome.replies, outcome.seconds = replies, time.monotonic() - started
        replayed_after = replica.rows("SELECT pg_last_wal_replay_lsn()::text")[0][0]
        on_primary = primary.rows("SELECT count(*) FROM ratings_rating")[0][0]
        on_replica = replica.rows("SELECT count(*) FROM ratings_rating")[0][0]
        replica.rows("SELECT pg_wal_replay_resume()")
        writes = sum(1 for r in replies if r.method == "PUT" and r.status in (200, 201))
        checks = sum(1 for r in replies if r.kind == "stale-check")
        outcome.notes.append(
            f"{writes} writes acknowledged, {checks} reads after them, {len(stale)} stale or failed; "
            f"the replica held {on_replica} ratings against the primary's {on_primary} "
            f"(replay position {replayed_before} -> {replayed_after})"
        )
        outcome.require(not stale, f"{len(stale)} stale reads after writes, e.g. {stale[:3]}")
        outcome.require(writes > 0, "no write was acknowledged")
        outcome.require(on_replica < on_primary, "the replica did not lag: the check proved nothing")
        outcome.require(replayed_before == replayed_after, "the replica replayed WAL while paused")
        caught_up = wait_until(
            lambda: (
                replica.rows("SELECT count(*) FROM ratings_rating")[0][0]
                == primary.rows("SELECT count(*) FROM ratings_rating")[0][0]
            ),
            30,
        )
        outcome.require(caught_up is not None, "the replica did not catch up within 30 s after replay resumed")
        outcome.notes.append(f"the replica caught up {caught_up or 0:.1f} s after replay resumed")
        replica.close()
        primary.close()
        return outcome

    def final_checks(self, webs: list[Web]) -> Outcome:
        outcome = Outcome("statistics and caches against the database")
        db = Database(self.stack.env["DATABASE_URL"])
        try:
            checked, missing = unconfirmed_writes(db, self.ledger.acked, self.ledger.unknown)
            outcome.notes.append(f"{checked} acknowledged final scores checked, {len(missing)} not in the database")
            outcome.require(not missing, f"acknowledged writes missing: {missing[:5]}")
            drift = self.stack.manage("recompute_statistics").strip()
            outcome.notes.append(f"recompute_statistics: {drift.splitlines()[0] if drift else '(nothing)'}")
            outcome.require(drift.startswith("No drift"), f"recompute_statistics: {drift}")
            probes = (
                list_probes() + movie_probes(sorted(self.written_movies)[:10]) + user_probes(sorted(self.writers)[:10])
            )
            problems, seen = check_against_database(self.nginx.port, db, probes)
            outcome.notes.append(f"{len(probes)} cached endpoints through nginx: {seen}, {len(problems)} disagreements")
            outcome.require(not problems, f"cached endpoints disagree with the database: {problems[:5]}")
        finally:
            db.close()
        if self.rejoined is not None:
            web, then = self.rejoined
            outcome.notes.append(f"{web.name} answered {web.served() - then} requests through nginx after its restart")
            outcome.require(web.served() > then, f"nginx never sent {web.name} a request after it was restarted")
        unexplained = [
            line
            for web in webs
            for line in web.error_lines()
            if "Service Unavailable" not in line and "OperationalError" not in line
        ]
        outcome.require(not unexplained, f"unexplained server log errors: {unexplained[:5]}")
        return outcome


def describe(replies: list[Reply]) -> str:
    return "; ".join(reply.describe() for reply in replies[:3])


def report(outcome: Outcome) -> None:
    log(f"{'PASS' if not outcome.failures else 'FAIL'} {outcome.name}: {outcome.figures() if outcome.replies else ''}")
    for note in outcome.notes:
        print(f"     {note}", flush=True)
    for failure in outcome.failures:
        print(f"     BROKEN: {failure[:1500]}", flush=True)


def main() -> int:
    raise_on_sigterm()
    begun = time.monotonic()
    stack = Stack("scale", THROTTLE_WRITES="100000/min", NUM_PROXIES="1")
    webs: list[Web] = []
    nginx: Nginx | None = None
    pgbouncer: PgBouncer | None = None
    outcomes: list[Outcome] = []
    try:
        stack.start_services()
        stack.migrate()
        log(f"seeded with {stack.seed()}")
        fixture = stack.mint(THREADS * USERS_PER_THREAD * 6 + THREADS)  # 6 loads, then the writers
        stack.start_replica()
        primary_port = int(stack.env["PG_PORT"])
        pgbouncer = PgBouncer(stack.dir, primary_port, stack.replica_port, "movies")
        pgbouncer.start()
        log(f"PgBouncer (transaction pooling, deploy/pgbouncer.ini) on 127.0.0.1:{pgbouncer.port}")
        through_pgbouncer = {
            "DATABASE_URL": pgbouncer.url("movies"),
            "DATABASE_REPLICA_URLS": pgbouncer.url("movies_replica"),
            "DATABASE_POOLER": "pgbouncer",
        }
        webs = [Web(stack, f"web{n}", WEB_WORKERS, **through_pgbouncer) for n in (1, 2, 3)]
        for web in webs:
            web.start()
        log(f"3 web replicas via bin/serve ({WEB_WORKERS} workers each) on ports {[w.port for w in webs]}")
        nginx = Nginx(stack.dir)
        nginx.start([webs[0].port])
        log(f"nginx (deploy/nginx.conf) on 127.0.0.1:{nginx.port}")
        harness = Harness(stack, fixture, nginx)
        phases: list[Callable[[], Outcome]] = [
            lambda: harness.throughput(webs, 1),
            lambda: harness.throughput(webs, 3),
            lambda: harness.web_replica_killed(webs),
            lambda: harness.pgbouncer_restarted(pgbouncer),
            harness.replay_paused,
            lambda: harness.final_checks(webs),
        ]
        for phase in phases:
            try:
                outcome = phase()
            except Exception:  # one broken phase must not hide the others' results
                outcome = Outcome("a phase raised", failures=[traceback.format_exc()])
            report(outcome)
            outcomes.append(outcome)
    finally:
        if nginx is not None:
            nginx.stop()
        for web in webs:
            web.stop()
        if pgbouncer is not None:
            pgbouncer.stop()
        stack.stop()
    one, three = (next((o for o in outcomes if o.name.startswith(f"throughput with {n} ")), None) for n in (1, 3))
    if one and three and one.seconds and three.seconds:
        rate = [sum(1 for r in o.replies if 200 <= r.status < 300) / o.seconds for o in (one, three)]
        log(f"scaling: {rate[0]:.0f} ok/s with 1 web replica, {rate[1]:.0f} with 3 ({rate[1] / rate[0]:.2f}x)")
    failed = [o.name for o in outcomes if o.failures]
    log(
        f"scale: {len(outcomes)} phases in {time.monotonic() - begun:.0f} s, "
        f"{sum(len(o.replies) for o in outcomes)} requests; "
        + ("PASS" if not failed else f"FAIL ({', '.join(failed)})")
    )
    return 1 if failed or len(outcomes) < 6 else 0


if __name__ == "__main__":
    sys.exit(main())
