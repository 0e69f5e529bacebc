#!/usr/bin/env python3
"""In-process cost of rating writes: PUTs of `/api/movies/<id>/rating/` with a JWT, sent straight
through the shipped WSGI application (bench/inprocess.py's request loop and settings).

    DATABASE_URL=... REDIS_URL=... bench/write_profile.py [scenario ...] [-n N] [-r ROUNDS] [--profile FILE]

Scenarios (all by default):

- `create`: fresh pairs, each PUT rates a movie its user has not rated (201); every round a new user.
- `update`: one pair, the score alternating between two values, so every PUT changes the rating (200).
- `same`: one pair, the same body every time: nothing changes, nothing is invalidated (200).
- `get`: the GET of one's own rating (the PUT's shape), for comparison.
- `v2`: `update` with `Accept: application/json; version=2`.

Each scenario prints the best of ROUNDS rounds of N requests in microseconds per request, wall
clock and this process's CPU time (PostgreSQL's and Redis' CPU are not in it; their round trips
are in the wall figure), and the round trips to PostgreSQL per request (executes, as
`django_assert_num_queries` counts them).
`--profile FILE` writes a cProfile of one more round of each scenario (`python -m pstats FILE`);
`--json FILE` appends one JSON object per scenario to FILE, as bench/inprocess.py does (`make bench`
reads both).
The write throttle is raised out of the way (THROTTLE_WRITES), as `make bench` does: its
statement still runs on every PUT. Needs a migrated database with at least N movies
(`manage.py import_movielens`); it adds users named `write-profile-...` and their ratings.
bench/analysis.md's writes figures come from this loop, run alternately on two checkouts.
"""

import argparse
import io
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inprocess import environ_for, request  # noqa: E402  (bench/inprocess.py: the same request loop and settings)

ACCEPT = {"1": "application/json", "2": "application/json; version=2"}
SCENARIOS = ("create", "update", "same", "get", "v2")


def send(application: Any, method: str, path: str, token: str, body: bytes, accept: str) -> str:
    """One request as a WSGI server sends it; returns the status line (the body is read and closed)."""
    environ = environ_for(path, token)
    environ["REQUEST_METHOD"] = method
    environ["HTTP_ACCEPT"] = accept
    environ["wsgi.input"] = io.BytesIO(body)
    if body:
        environ["CONTENT_TYPE"] = "application/json"
        environ["CONTENT_LENGTH"] = str(len(body))
    return request(application, environ)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", choices=[[], *SCENARIOS], default=[])
    parser.add_argument("-n", "--count", type=int, default=1000, help="requests per round (default 1000)")
    parser.add_argument("-r", "--rounds", type=int, default=3, help="rounds; the best is reported (default 3)")
    parser.add_argument("--profile", help="write a cProfile of one more round of each scenario to this file")
    parser.add_argument("--json", help="append one JSON object per scenario to this file")
    args = parser.parse_args()
    os.environ["THROTTLE_WRITES"] = "1000000/min"

    from inprocess import shipped_application

    application, _token, _aliases = shipped_application()

    from django.db import connection
    from rest_framework_simplejwt.tokens import AccessToken

    from movies.models import Movie
    from users.models import User

    movies = list(Movie.objects.order_by("pk").values_list("pk", flat=True)[: args.count + 1])
    if len(movies) <= args.count:
        sys.exit(f"the database has {len(movies)} movies; {args.count + 1} are needed (or pass a smaller -n)")
    run = time.time_ns()

    def new_user(label: str) -> str:
        user = User.objects.create(username=f"write-profile-{run}-{label}")
        return str(AccessToken.for_user(user))

    results = os.fdopen(os.dup(1), "w")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)  # the request log, as bench/inprocess.py does
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()

    def loop(scenario: str, label: str) -> Callable[[], str]:
        """A round of the scenario: `count` requests; returns the last status line."""
        token = new_user(label)
        version = "2" if scenario == "v2" else "1"
        accept = ACCEPT[version]
        first = f"/api/movies/{movies[0]}/rating/"
        bodies = [json.dumps({"score": score, "review": "A fine film."}).encode() for score in (3.5, 4)]
        send(application, "PUT", first, token, bodies[0], accept)  # caches the token's user; the pair exists
        if scenario == "create":
            paths = [f"/api/movies/{pk}/rating/" for pk in movies[1:]]
            return lambda: [send(application, "PUT", path, token, bodies[1], accept) for path in paths][-1]
        if scenario == "get":
            return lambda: [send(application, "GET", first, token, b"", accept) for _ in range(args.count)][-1]
        cycle = bodies if scenario in ("update", "v2") else bodies[:1]
        return lambda: [
            send(application, "PUT", first, token, cycle[i % len(cycle)], accept) for i in range(args.count)
        ][-1]

    for scenario in args.scenarios or SCENARIOS:
        best_wall = best_cpu = float("inf")
        status = ""
        for round_number in range(args.rounds):
            requests = loop(scenario, f"{scenario}-{round_number}")
            wall, cpu = time.perf_counter(), time.process_time()
            status = requests()
            best_wall = min(best_wall, (time.perf_counter() - wall) / args.count)
            best_cpu = min(best_cpu, (time.process_time() - cpu) / args.count)
        # Round trips to the database per request (one `execute` each, a message of several
        # statements counting once, as `django_assert_num_queries` counts): one more round.
        executes = 0

        def counting(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            nonlocal executes
            executes += 1
            return execute(sql, params, many, context)

        requests = loop(scenario, f"{scenario}-count")
        with connection.execute_wrapper(counting):
            requests()
        statements = executes / args.count
        print(
            f"{scenario:7} {status:16} {best_wall * 1e6:8.0f} µs wall {best_cpu * 1e6:8.0f} µs cpu "
            f"{statements:5.2f} round trips",
            file=results,
            flush=True,
        )
        if args.json:
            with open(args.json, "a") as out:
                row = {"target": "shipped", "path": f"PUT {scenario}", "bust": False, "status": status}
                out.write(json.dumps({**row, "wall_us": best_wall * 1e6, "cpu_us": best_cpu * 1e6}) + "\n")
        if profiler is not None:
            requests = loop(scenario, f"{scenario}-profile")
            profiler.enable()
            requests()
            profiler.disable()
    if profiler is not None:
        profiler.dump_stats(args.profile)


if __name__ == "__main__":
    main()
