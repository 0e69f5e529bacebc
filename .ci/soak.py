#!/usr/bin/env python3
"""`make soak`: a minute of mixed load at the machine's capacity, then check that nothing was lost.

Starts the same stack as `.ci/faults.py` (`.ci/stack.py`: its own PostgreSQL and Redis, a seeded
database, bin/serve with production settings on loopback) and drives it with threads for SOAK_SECONDS
(default 60): about 80% reads across the public endpoints (both API versions) and 20% rating
writes (PUTs with random scores, some DELETEs of one's own rating) by SOAK_USERS users (default
200). Each user is driven by exactly one thread, so a user's writes are sequential and the last
acknowledged state of every (user, movie) is known; that thread also reads the user's own rating
and rated-movies list back and expects exactly what it wrote.

Promises checked afterwards: no 5xx, no connection error, no unexpected status; no stale read of
one's own writes; every acknowledged write in the database with its final value (acknowledged
deletes absent, nothing unacknowledged present); `recompute_statistics` finds no drift. Prints
requests, req/s and p50/p99 latency per kind; exits 1 if a promise was broken.
"""

import math
import os
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal

from checks import Database, same_number, stored_ratings, unconfirmed_writes
from faults import MAX_REQUESTS_PER_THREAD, WORKERS
from stack import REQUEST_TIMEOUT, Account, Fixture, Reply, Stack, call, log, percentile, raise_on_sigterm

SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))
THREADS = int(os.environ.get("SOAK_THREADS", "12"))
USERS = int(os.environ.get("SOAK_USERS", "200"))
WRITE_MOVIES = 60  # writes concentrate on these, so many users rate the same movies at once
ORDERINGS = ["", "title", "-weighted_rating", "-ratings_count", "year", "-average_rating"]

Pair = tuple[str, int]


@dataclass
class Driver:
    """One load thread: the users it owns, what it has seen, and the state its writes left."""

    accounts: list[Account]
    seed: int
    replies: list[Reply] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    state: dict[Pair, Decimal | None] = field(default_factory=dict)  # None: no rating (deleted)
    unknown: set[Pair] = field(default_factory=set)  # the last write got no acknowledgement


class Soak:
    def __init__(self, stack: Stack, fixture: Fixture) -> None:
        self.port = stack.port
        self.fixture = fixture
        self.write_movies = fixture.movies[:WRITE_MOVIES]
        self.pages = max(1, math.ceil(len(fixture.movies) / 20))
        self.drivers = [Driver(fixture.accounts[n::THREADS], seed=n) for n in range(THREADS)]

    def run(self, seconds: float) -> float:
        threads = [threading.Thread(target=self.drive, args=(d, seconds), daemon=True) for d in self.drivers]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + REQUEST_TIMEOUT + 10)
        return time.monotonic() - started

    def drive(self, driver: Driver, seconds: float) -> None:
        rng = random.Random(driver.seed)
        deadline = time.monotonic() + seconds
        for _ in range(MAX_REQUESTS_PER_THREAD):
            if time.monotonic() >= deadline:
                return
            roll = rng.random()
            if roll < 0.20:
                self.write(driver, rng)  # half of them with a read of the rated list before and after
            elif roll < 0.25:
                self.read_own_rating(driver, rng)
            else:
                self.read_public(driver, rng)

    def expect(self, driver: Driver, reply: Reply, *statuses: int) -> bool:
        driver.replies.append(reply)
        if reply.status not in statuses:
            driver.problems.append(f"expected {'/'.join(map(str, statuses))}: {reply.describe()}")
            return False
        return True

    def write(self, driver: Driver, rng: random.Random) -> None:
        """Rate a movie (201), change an earlier rating (200) or delete one (204). Half the time the
        user's public rated list is read just before and just after: a copy cached before the write
        must not be served after it."""
        rated = [pair for pair, score in driver.state.items() if score is not None]
        roll = rng.random()
        if rated and roll < 0.3:
            username, movie = rng.choice(rated)
            account = next(a for a in driver.accounts if a.username == username)
        else:
            account, movie = rng.choice(driver.accounts), rng.choice(self.write_movies)
        pair = (account.username, movie)
        current = driver.state.get(pair)
        watch, version = rng.random() < 0.5, rng.choice(["1", "2"])
        if watch:
            self.read_own_list(driver, account, version)
        path = f"/api/movies/{movie}/rating/"
        if current is not None and roll < 0.15:
            reply = call(self.port, "DELETE", path, kind="delete", token=account.token)
            acknowledged, after = reply.status == 204, None
            self.expect(driver, reply, 204)
        else:
            score = rng.randint(1, 10) / 2
            reply = call(self.port, "PUT", path, kind="put", token=account.token, payload={"score": score})
            acknowledged, after = reply.status in (200, 201), Decimal(str(score))
            self.expect(driver, reply, 201 if current is None else 200)
        if acknowledged:
            driver.state[pair] = after
            driver.unknown.discard(pair)
        else:
            driver.unknown.add(pair)
        if watch:
            self.read_own_list(driver, account, version)

    def ratings_of(self, driver: Driver, account: Account) -> dict[int, Decimal] | None:
        """The user's ratings as its acknowledged writes left them; None if a write went unanswered."""
        if any(username == account.username for username, _ in driver.unknown):
            return None
        return {m: s for (u, m), s in driver.state.items() if u == account.username and s is not None}

    def read_own_list(self, driver: Driver, account: Account, version: str) -> None:
        mine = self.ratings_of(driver, account)
        path = f"/api/users/{account.username}/ratings/?page_size=100"
        reply = call(self.port, "GET", path, kind="own list", version=version)
        if self.expect(driver, reply, 200) and mine is not None:
            shown = {item["movie"]["id"]: Decimal(str(item["score"])) for item in reply.json()["results"]}
            if shown != mine:
                driver.problems.append(f"stale rated list [{reply.cache}] of {account.username}: {shown} != {mine}")

    def read_own_rating(self, driver: Driver, rng: random.Random) -> None:
        """Read one's own rating of a movie (never cached): exactly the last acknowledged write."""
        account = rng.choice(driver.accounts)
        mine = self.ratings_of(driver, account)
        if mine is None:
            return
        movie = rng.choice(list(mine) or self.write_movies) if rng.random() < 0.7 else rng.choice(self.write_movies)
        reply = call(self.port, "GET", f"/api/movies/{movie}/rating/", kind="own rating", token=account.token)
        expected = mine.get(movie)
        ok = self.expect(driver, reply, 404 if expected is None else 200)
        if ok and expected is not None and not same_number(reply.json()["score"], expected):
            driver.problems.append(f"stale own rating: wrote {expected}, read {reply.describe()}")

    def read_public(self, driver: Driver, rng: random.Random) -> None:
        movie = rng.choice(self.fixture.movies)
        username = rng.choice(self.fixture.accounts).username
        kind, path = rng.choice(
            [
                ("movies", f"/api/movies/?page={rng.randint(1, self.pages)}&ordering={rng.choice(ORDERINGS)}"),
                ("movies", "/api/movies/?search=the"),
                ("movie", f"/api/movies/{movie}/"),
                ("movie", f"/api/movies/{movie}/"),
                ("movie ratings", f"/api/movies/{movie}/ratings/"),
                ("top", "/api/movies/top/"),
                ("genres", "/api/genres/"),
                ("profile", f"/api/users/{username}/"),
                ("user ratings", f"/api/users/{username}/ratings/"),
            ]
        )
        self.expect(driver, call(self.port, "GET", path, kind=kind, version=rng.choice(["1", "1", "2"])), 200)


def main() -> int:
    raise_on_sigterm()
    stack = Stack("soak", THROTTLE_WRITES="100000/min")  # the load is the point, not the throttle
    failures: list[str] = []
    try:
        fixture = stack.start(users=USERS, workers=WORKERS)
        soak = Soak(stack, fixture)
        log(f"{THREADS} threads driving {USERS} users for {SOAK_SECONDS:.0f} s")
        elapsed = soak.run(SOAK_SECONDS)
        replies = [r for d in soak.drivers for r in d.replies]
        problems = [p for d in soak.drivers for p in d.problems]
        state = {pair: s for d in soak.drivers for pair, s in d.state.items()}
        unknown = {pair for d in soak.drivers for pair in d.unknown}
        db = Database(stack.env["DATABASE_URL"])
        checked, wrong = unconfirmed_writes(db, state, unknown)
        stored = stored_ratings(db, (a.username for a in fixture.accounts))
        db.close()
        drift = stack.manage("recompute_statistics").strip()
        explained, unexplained = stack.server_errors()
        exited = stack.server_exited()
    finally:
        stack.stop()

    log(f"{len(replies)} requests in {elapsed:.1f} s: {len(replies) / elapsed:.0f} req/s")
    for kind in sorted({r.kind for r in replies}):
        seconds = [r.seconds for r in replies if r.kind == kind]
        print(
            f"     {kind:<14} {len(seconds):>7}  p50 {percentile(seconds, 0.5) * 1000:6.1f} ms  "
            f"p99 {percentile(seconds, 0.99) * 1000:6.1f} ms",
            flush=True,
        )
    server_errors = sum(1 for r in replies if r.status >= 500)
    dropped = sum(1 for r in replies if r.status == 0)
    acknowledged = [r for r in replies if r.kind in ("put", "delete") and r.status in (200, 201, 204)]
    stray = [
        f"{u} on movie {m}: {s} in the database, never acknowledged"
        for (u, m), s in stored.items()
        if (u, m) not in state
    ]
    log(
        f"writes: {len(acknowledged)} acknowledged ({sum(1 for r in acknowledged if r.kind == 'delete')} deletes); "
        f"final state of {checked} (user, movie) pairs: {checked - len(wrong)} found in the database as acknowledged, "
        f"{len(wrong)} wrong, {len(stray)} rows never acknowledged"
    )
    log(
        f"5xx: {server_errors}; connection errors: {dropped}; other problems: {len(problems) - server_errors - dropped}"
    )
    log(f"recompute_statistics: {drift}")
    log(f"server log: {explained} error lines the harness explains, {len(unexplained)} others")
    for line in unexplained[:10]:
        print(f"     server log: {line[:300]}", flush=True)

    if problems:
        failures.append(f"{len(problems)} failed or wrong requests, e.g. {problems[:5]}")
    if unknown:
        failures.append(f"{len(unknown)} (user, movie) pairs left unknown by failed writes")
    if wrong or stray:
        failures.append(f"the database disagrees with the acknowledged writes: {(wrong + stray)[:5]}")
    if not drift.startswith("No drift"):
        failures.append(f"recompute_statistics: {drift}")
    if exited:
        failures.append(exited)
    for failure in failures:
        print(f"  !! {failure}", flush=True)
    log("soak: " + ("PASS" if not failures else "FAIL"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
