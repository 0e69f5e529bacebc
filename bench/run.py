#!/usr/bin/env python3
"""`make bench`: measure the service against the floor of its own stack (SPEC section 11).

Starts the harness stack (`.ci/stack.py`: a throwaway PostgreSQL and Redis, and the production
server through bin/serve: granian's WSGI interface with (2 x cores) + 1 workers)
on loopback, loads synthetic
datasets with `manage.py generate_dataset`, and drives it with wrk at fixed concurrency:

- two floors on the same server (bin/serve's granian, the same workers): a minimal Django
  project (bench/floor) and the shipped /health/live through bin/serve;
- with a bearer token on every request: cache hits on movie detail, list, top and a public rated
  list; cache misses on detail, list and top;
- rating writes (PUT), fresh and repeated pairs, then a statistics recompute that must find zero
  drift;
- the lower bounds of those targets: views doing less than a hit, a miss and a write must
  (bench/bounds), served through the shipped settings and middleware beside the shipped server;
- for every wrk run, the CPU each process group (servers, PostgreSQL, Redis, wrk) spent per request;
- the server comparison: granian's WSGI interface (shipped) against gunicorn's gthread and sync
  workers, the same worker count, with and without keep-alive, on the minimal floor,
  /health/live, a cache hit and a write, and whether each keeps serving while twice as many slow clients as workers
  trickle their requests' headers, or their bodies (SPEC section 8); `BENCH_ONLY=servers` runs
  only this, on a small dataset;
- the floor and /health/live with metrics on and off (`BENCH_FLOOR=1` mounts /api/_floor);
- a scaling series of uncached list, detail, top and similar-movies latency at 10k, 100k and 1M ratings
  (and 10M with BENCH_SCALE=large);
- import time of the shared MovieLens sample and of one million synthetic ratings (written in
  MovieLens layout by `manage.py generate_dataset --csv`);
- the similar-movie model's build (`manage.py build_similarities`) after each of those imports and
  at each size of the scaling series: wall time and the build process's peak resident memory
  (`--similarity-only` runs just the imports and their builds).
- a user's ratings in and out (SPEC section 13) through the server: the export of 50,000
  ratings (CSV and JSON) and the import of a 10,000-row Letterboxd file (first run, then again
  with nothing to change). `BENCH_ONLY=transfers` runs only these.

Writes BENCHMARKS.md and docs/bench-latency.png, and cleans up after itself.
"""

import contextlib
import functools
import json
import os
import platform
import resource
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".ci"))
import stack as harness  # noqa: E402  (the harness stack shared with .ci/)
from server_cpu import cpu_by_pid, tree  # noqa: E402
from stack import PYTHON, Stack, log  # noqa: E402

harness.TAG = "bench"

LUA = ROOT / "bench" / "lua"
MOVIES = 10_000
DURATION = os.environ.get("BENCH_DURATION", "10s")
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
SCALES = [10_000, 100_000, 1_000_000] + ([10_000_000] if os.environ.get("BENCH_SCALE") == "large" else [])
if os.environ.get("BENCH_SCALES"):  # e.g. BENCH_SCALES=2000,20000 for a quick trial of the harness
    SCALES = [int(n) for n in os.environ["BENCH_SCALES"].split(",")]
FULL_SUITE_SCALE = min(1_000_000, max(SCALES))
MOVIELENS_DIR = Path(os.environ.get("MOVIELENS_DIR", ROOT.parent / "shared/data/movielens/ml-latest-small"))
WORKERS = 2 * (os.cpu_count() or 1) + 1
IMPORT_RATINGS = int(os.environ.get("BENCH_IMPORT_RATINGS", "1000000"))
COMPARE = os.environ.get("BENCH_COMPARE_DURATION", "4s")  # each run of the server comparison
# The servers compared: (server, its options). Same worker count; the threaded ones run the
# application on as many threads per worker (WEB_THREADS, config/server.py's default 8).
SERVERS: dict[str, tuple[str, list[str]]] = {
    "granian WSGI (shipped)": ("granian", []),
    "gunicorn gthread": ("gthread", []),
    "gunicorn sync": ("sync", []),
}
# SPEC 8's promise: twice as many idle or half-sent connections as there are workers leave a
# normal request answered within a second. The check holds exactly that many.
SLOW_CLIENTS = 2 * WORKERS
SLOW_PROBES = 10  # normal requests sent meanwhile, one after another
FLOOR_MINIMAL = "floor: minimal Django project (no middleware, one JSON view), same server"
FLOOR_SHIPPED = "floor: /health/live through bin/serve, shipped settings and middleware"
FLOOR_REQUIRED = "floor: /health/live, only the middleware other SPEC sections require, same server"
BOUND_HIT = "hit bound: one Redis GET of a detail's body"
BOUND_MISS = "miss bound: a Redis GET, then one SELECT"
BOUND_WRITE = "write bound: one UPDATE, committed, then one Redis SET, 16 clients"
WRITES_FRESH = "rating writes (PUT), fresh pairs, 16 clients"
WRITES_REPEATED = "rating writes (PUT), repeated pairs (20 users x 20 movies), 16 clients"
EXPORT_RATINGS = 50_000
IMPORT_ROWS = 10_000


class Bench:
    def __init__(self) -> None:
        # fsync on: the benchmark measures durable writes, as production makes them.
        # LOG_LEVEL INFO: every request writes its JSON log line (to the server's log file), as shipped.
        # THROTTLE_WRITES: each write still counts its attempt (the throttle's statement runs as
        # shipped), but 20 users writing for 10 s would pass the shipped 120/min, and their 429s
        # (cheaper than a write, and still counted for a minute) would flatter the write figures.
        self.stack = Stack(
            "bench", PG_FSYNC="on", BENCH_FLOOR="1", LOG_LEVEL="INFO", LOG_FORMAT="json", THROTTLE_WRITES="1000000/min"
        )
        self.port = self.stack.port
        self.server_kind = "granian"  # the server the comparison runs now (bin/serve's otherwise)
        self.server_options: list[str] = []
        self.results: dict[str, Any] = {
            "scenarios": {},
            "scaling": {},
            "imports": {},
            "similarity": {},
            "transfers": {},
            "servers": {},
            "load": {},
            "bounds": {},
        }

    # --- services and server ------------------------------------------------------------
    def start_services(self) -> None:
        self.stack.start_services()
        self.admin_url = self.stack.env["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
        self.manage("collectstatic", "--noinput", "-v0")  # as the Docker image does at build time

    def reset_database(self) -> None:
        code = (
            "import psycopg, sys\n"
            "with psycopg.connect(sys.argv[1], autocommit=True) as c:\n"
            "    c.execute('DROP DATABASE IF EXISTS movies WITH (FORCE)')\n"
            "    c.execute('CREATE DATABASE movies')\n"
        )
        subprocess.run([PYTHON, "-c", code, self.admin_url], check=True)
        self.stack.migrate()

    def manage(self, *args: str) -> str:
        return self.stack.manage(*args)

    def timed_manage(self, *args: str) -> tuple[float, float]:
        """Run a management command; its wall time (s) and the peak RSS of its process (MiB)."""
        started = time.perf_counter()
        process = subprocess.Popen(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.stack.env, stdout=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise subprocess.CalledProcessError(process.returncode, args)
        return time.perf_counter() - started, usage.ru_maxrss / 1024  # Linux reports KiB

    def similarity_build(self, name: str) -> None:
        seconds, peak_mib = self.timed_manage("build_similarities")
        self.results["similarity"][name] = {"seconds": seconds, "peak_rss_mib": peak_mib}
        log(f"  similar-movie model, {name}: {seconds:.1f} s, peak memory {peak_mib:.0f} MiB")

    @contextlib.contextmanager
    def env_added(self, env: dict[str, str]) -> Iterator[None]:
        """The stack's environment with `env` added, for the server started inside only."""
        saved = dict(self.stack.env)
        self.stack.env.update(env)
        try:
            yield
        finally:
            self.stack.env = saved

    def start_server(self, *options: str, server: str = "granian", **env: str) -> None:
        """bin/serve through the shared stack (or a candidate: `server="gthread"` or `"sync"`);
        `options` go to the server, `env` adds variables for this server only."""
        with self.env_added(env):
            self.stack.start_server(WORKERS, *options, server=server)

    def stop_server(self) -> None:
        self.stack.stop_server()

    def cleanup(self) -> None:
        self.stack.stop()

    # --- measuring ----------------------------------------------------------------------
    def wrk(
        self, script: str, connections: int = CONNECTIONS, duration: str = DURATION, port: int = 0, **env: str
    ) -> dict[str, Any]:
        command = [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{duration}",
            "--timeout",
            "10s",
            "-s",
            str(LUA / script),
            f"http://127.0.0.1:{port or self.port}",
        ]
        before = self.process_cpu()
        out = subprocess.run(command, env={**self.stack.env, **env}, check=True, capture_output=True, text=True).stdout
        after = self.process_cpu()
        result = json.loads(
            next(line for line in out.splitlines() if line.startswith("RESULT ")).removeprefix("RESULT ")
        )
        result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
        spent = {name: sum(cpu - before[name].get(pid, 0.0) for pid, cpu in after[name].items()) for name in after}
        result["cpu_us"] = {name: seconds / result["requests"] * 1e6 for name, seconds in spent.items()}
        result["p50_ms"], result["p99_ms"] = result["p50_us"] / 1000, result["p99_us"] / 1000
        return result

    def process_cpu(self) -> dict[str, dict[int, float]]:
        """CPU seconds spent so far by each process of the servers (this process's descendants:
        the shipped one and any beside it), PostgreSQL, Redis, and by the waited-for children
        (wrk, once it ends; under pid 0). Compared pid by pid: a process that exits between two
        readings (a PostgreSQL backend closing) drops out instead of taking its past CPU along."""
        postmaster = int((self.stack.dir / "pg" / "postmaster.pid").read_text().split()[0])
        redis = int((self.stack.dir / "redis.pid").read_text())
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {
            "server": cpu_by_pid(tree(os.getpid()) - {os.getpid()}),
            "postgres": cpu_by_pid(tree(postmaster)),
            "redis": cpu_by_pid({redis}),
            "wrk": {0: children.ru_utime + children.ru_stime},
        }

    def get(
        self, path: str, *, bust: bool, connections: int = CONNECTIONS, duration: str = DURATION, **env: Any
    ) -> dict[str, Any]:
        return self.wrk(
            "get.lua",
            connections,
            duration,
            BENCH_PATH=path,
            BENCH_MOVIES=str(MOVIES),
            BENCH_BUST="1" if bust else "0",
            **env,
        )

    def load_dataset(self, ratings: int) -> float:
        self.reset_database()
        started = time.perf_counter()
        self.manage(
            "generate_dataset",
            "--movies",
            str(MOVIES),
            "--users",
            str(max(200, ratings // 100)),
            "--ratings",
            str(ratings),
            "--seed",
            "1",
        )
        elapsed = time.perf_counter() - started
        self.manage("shell", "-c", "from django.db import connection; connection.cursor().execute('VACUUM ANALYZE')")
        return elapsed

    # --- the runs -----------------------------------------------------------------------
    def scaling_series(self) -> None:
        for ratings in SCALES:
            log(f"dataset: {ratings:,} ratings over {MOVIES:,} movies")
            generated = self.load_dataset(ratings)
            self.similarity_build(f"{ratings:,} synthetic ratings (scaling series)")
            self.start_server()
            self.get("/api/movies/", bust=True, duration="3s")  # warm up workers and connections
            row: dict[str, Any] = {"generate_seconds": generated}
            paths = (
                ("list", "/api/movies/"),
                ("detail", "/api/movies/%d/"),
                ("top", "/api/movies/top/"),
                ("similar", "/api/movies/%d/similar/"),
            )
            # Similar movies only for movies with a full page of neighbours at this size: at 10k
            # ratings most movies have none (an empty list), at 1M nearly all have ten, and
            # comparing empty lists with full ones would measure the payload, not the growth.
            full = self.movies_with_neighbours(10)
            row["similar_movies_asked"] = len(full)
            for name, path in paths:
                ids = {"BENCH_IDS": ",".join(map(str, full))} if name == "similar" else {}
                row[name] = self.get(path, bust=True, connections=4, **ids)
                log(f"  uncached {name}: p50 {row[name]['p50_ms']:.1f} ms, p99 {row[name]['p99_ms']:.1f} ms")
            self.results["scaling"][str(ratings)] = row
            if ratings == FULL_SUITE_SCALE:
                self.full_suite()
            self.stop_server()

    def movies_with_neighbours(self, count: int) -> list[int]:
        """Up to 500 movies with at least `count` neighbours under the active similarity model."""
        out = self.manage(
            "shell",
            "-c",
            "from django.db.models import Count\n"
            "from recommendations.models import MovieSimilarity\n"
            "rows = MovieSimilarity.objects.filter(model__is_active=True).values('movie_id')"
            f".annotate(n=Count('id')).filter(n__gte={count}).order_by('movie_id')[:500]\n"
            "print(','.join(str(r['movie_id']) for r in rows))",
        )
        ids = [int(part) for part in out.strip().splitlines()[-1].split(",") if part] if out.strip() else []
        if not ids:
            raise SystemExit(f"no movie has {count} neighbours: the similar-movies row cannot be measured")
        return ids

    # --- the full suite: SPEC 11's rows, the floor pair, the server comparison ----------------
    def mint_tokens(self) -> Path:
        """Access tokens of 2,000 synthetic users, one per line, as `bench/lua/*.lua` read them."""
        tokens = self.stack.dir / "tokens.txt"
        code = (
            "from rest_framework_simplejwt.tokens import AccessToken\n"
            "from users.models import User\n"
            "users = User.objects.filter(username__startswith='synthetic-').order_by('pk')[:2000]\n"
            f"open({str(tokens)!r}, 'w').write('\\n'.join(str(AccessToken.for_user(u)) for u in users))\n"
        )
        self.manage("shell", "-c", code)
        return tokens

    def minimal_django_floor(self, duration: str = DURATION, **env: Any) -> dict[str, Any]:
        """bench/floor (a minimal Django project: no middleware, one JSON view) on the same server
        (bin/serve, or the candidate being compared), the same worker count, the same options."""
        return self.side_floor("bench.floor.wsgi:application", {}, duration, **env)

    def required_floor(self, duration: str = DURATION, **env: Any) -> dict[str, Any]:
        """The shipped application with only the middleware other SPEC sections require
        (bench/required_settings.py), on the same server: the floor's lower bound."""
        settings = {"DJANGO_SETTINGS_MODULE": "bench.required_settings"}
        return self.side_floor("config.wsgi:application", settings, duration, **env)

    def side_floor(self, app: str, settings: dict[str, str], duration: str, **env: Any) -> dict[str, Any]:
        """`/health/live` of `app` served beside the shipped server, `settings` added to its
        environment, with the shipped server's kind, options and worker count."""
        with self.side_server(app, settings) as port:
            return self.wrk("get.lua", duration=duration, port=port, BENCH_PATH="/health/live", BENCH_BUST="0", **env)

    @contextlib.contextmanager
    def side_server(self, app: str, settings: dict[str, str]) -> Iterator[int]:
        """`app` served beside the shipped server (its port), `settings` added to its
        environment, with the shipped server's kind, options and worker count."""
        port = harness.free_ports(1)[0]
        with self.env_added(settings):
            server = self.stack.serve(port, WORKERS, *self.server_options, server=self.server_kind, app=app)
        try:
            if harness.wait_until(lambda: harness.call(port, "GET", "/health/live").status == 200, 30) is None:
                raise RuntimeError(f"{app} beside the shipped server never answered")
            time.sleep(1)  # every worker booted
            yield port
        finally:
            harness.stop_process(server, timeout=30)

    def bounds(self, token: str, tokens: Path) -> None:
        """The least a hit, a miss and a write can cost in this design (bench/bounds), through the
        shipped settings and middleware beside the shipped server, each as its SPEC 11 row is
        measured: the lower bound of their ratios to the floor."""
        hit = harness.call(self.port, "GET", "/api/movies/42/", token=token)
        if hit.status != 200:
            raise RuntimeError(f"the detail the hit bound copies answered {hit.status}")
        # bench/bounds/urls.py's HIT_ENTRY_KEY (the body is JSON: UTF-8 text)
        stored = self.stack.redis_cli("SET", "bench:bound:entry", hit.body.decode(), "EX", "3600")
        if stored.stdout.strip() != "OK":
            raise RuntimeError(f"could not store the hit bound's entry: {stored.stdout}{stored.stderr}")
        movies = str(MOVIES)
        runs: dict[str, tuple[str, dict[str, Any]]] = {
            BOUND_HIT: ("get.lua", {"BENCH_PATH": "/bound/hit/", "BENCH_BUST": "0", "BENCH_TOKEN": token}),
            BOUND_MISS: ("get.lua", {"BENCH_PATH": "/bound/miss/%d/", "BENCH_BUST": "1", "BENCH_MOVIES": movies}),
            BOUND_WRITE: ("put_rating.lua", {"BENCH_WRITE_PATH": "/bound/write/%d/", "BENCH_MOVIES": movies}),
        }
        with self.side_server("config.wsgi:application", {"DJANGO_SETTINGS_MODULE": "bench.bounds.settings"}) as port:
            for name, (script, env) in runs.items():
                env = {"BENCH_TOKEN": token, "BENCH_TOKENS": str(tokens), **env}
                self.wrk(script, duration="1s", port=port, **env)  # every worker's threads connected and warm
                self.measure(self.results["bounds"], name, functools.partial(self.wrk, script, port=port, **env))

    def measure(self, table: dict[str, Any], name: str, run: Any) -> dict[str, Any]:
        table[name] = result = run()
        log(
            f"  {name}: {result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
            f"errors {result['errors'] + result['non_2xx']}"
        )
        return result

    def full_suite(self) -> None:
        log(f"full suite at {FULL_SUITE_SCALE:,} ratings")
        self.results["full_suite_ratings"] = FULL_SUITE_SCALE
        self.results["load"]["full suite start"] = os.getloadavg()
        tokens, token = self.tokens_and_warm_caches()
        bearer: dict[str, Any] = {"BENCH_TOKEN": token}
        writes: dict[str, Any] = {"BENCH_TOKENS": str(tokens)}
        scenarios = {
            FLOOR_MINIMAL: lambda: self.minimal_django_floor(**bearer),
            FLOOR_SHIPPED: lambda: self.get("/health/live", bust=False, **bearer),
            FLOOR_REQUIRED: lambda: self.required_floor(**bearer),
            "movie detail, cache hit": lambda: self.get("/api/movies/42/", bust=False, **bearer),
            "movie list, cache hit": lambda: self.get("/api/movies/", bust=False, **bearer),
            "top list, cache hit": lambda: self.get("/api/movies/top/", bust=False, **bearer),
            "public rated list, cache hit": lambda: self.get("/api/users/synthetic-1/ratings/", bust=False, **bearer),
            "movie detail, cache miss": lambda: self.get("/api/movies/%d/", bust=True, **bearer),
            "movie list, cache miss": lambda: self.get("/api/movies/", bust=True, **bearer),
            "top list, cache miss": lambda: self.get("/api/movies/top/", bust=True, **bearer),
            WRITES_FRESH: lambda: self.wrk("put_rating.lua", BENCH_MOVIES=str(MOVIES), **writes),
            WRITES_REPEATED: lambda: self.wrk("put_rating.lua", BENCH_MOVIES="20", BENCH_USERS="20", **writes),
        }
        for name, run in scenarios.items():
            self.measure(self.results["scenarios"], name, run)
        self.bounds(token, tokens)
        self.results["load"]["full suite end"] = os.getloadavg()
        self.results["recompute_after_writes"] = self.manage("recompute_statistics").strip()
        log(f"  after the writes: {self.results['recompute_after_writes']}")
        self.server_comparison(token, tokens)
        self.metrics_overhead()
        self.inprocess_costs()

    def tokens_and_warm_caches(self) -> tuple[Path, str]:
        """Tokens for the writes, the one a logged-in app sends even to public reads, and the
        cache entries the hits read filled."""
        tokens = self.mint_tokens()
        token = tokens.read_text().splitlines()[0]
        self.server_kind, self.server_options = "granian", []
        self.get("/api/movies/42/", bust=False, duration="2s", BENCH_TOKEN=token)
        for path in ("/api/movies/", "/api/movies/top/", "/api/users/synthetic-1/ratings/"):
            self.get(path, bust=False, duration="1s", BENCH_TOKEN=token)
        return tokens, token

    def servers_only(self) -> None:
        """`BENCH_ONLY=servers`: the server comparison alone, on a small dataset (a short trial)."""
        ratings = min(SCALES)
        log(f"server comparison only: {ratings:,} ratings over {MOVIES:,} movies")
        self.load_dataset(ratings)
        self.start_server()
        tokens, token = self.tokens_and_warm_caches()
        self.server_comparison(token, tokens)
        self.stop_server()

    def slow_clients(self, token: str, trickled: str) -> dict[str, Any]:
        return slow_client_check(self.port, token, trickled)

    def server_comparison(self, token: str, tokens: Path) -> None:
        """The shipped granian WSGI interface against gunicorn's gthread and sync workers, same
        worker count, with and without keep-alive, on the floor, a cache hit and
        a write (shorter runs); then each one's slow-client check."""
        for server, (kind, options) in SERVERS.items():
            self.stop_server()
            self.server_kind, self.server_options = kind, options
            self.start_server(*options, server=kind)
            for path in ("/health/live", "/api/movies/42/"):  # every thread's connections open
                self.get(path, bust=False, duration="2s", BENCH_TOKEN=token)
            rows: dict[str, Any] = {}
            for keepalive in (True, False):
                close: dict[str, Any] = {} if keepalive else {"BENCH_CLOSE": "1"}
                env: dict[str, Any] = {"BENCH_TOKEN": token, **close}
                suffix = "keep-alive" if keepalive else "new connection per request"
                log(f"server comparison: {server}, {suffix}")
                runs = {
                    f"minimal Django floor, {suffix}": lambda env=env: self.minimal_django_floor(
                        duration=COMPARE, **env
                    ),
                    f"/health/live, {suffix}": lambda env=env: self.get(
                        "/health/live", bust=False, duration=COMPARE, **env
                    ),
                    f"movie detail cache hit, {suffix}": lambda env=env: self.get(
                        "/api/movies/42/", bust=False, duration=COMPARE, **env
                    ),
                    f"rating write, {suffix}": lambda close=close: self.wrk(
                        "put_rating.lua",
                        duration=COMPARE,
                        BENCH_MOVIES=str(MOVIES),
                        BENCH_TOKENS=str(tokens),
                        **close,
                    ),
                }
                for name, run in runs.items():
                    self.measure(rows, name, run)
            for trickled in ("headers", "body"):
                rows[f"slow clients, {trickled}"] = slow = self.slow_clients(token, trickled)
                log(
                    f"  {SLOW_CLIENTS} clients trickling their {trickled}: {slow['answered']} of {slow['probes']} "
                    f"normal requests answered ({slow['sent']} sent), slowest {slow['slowest_ms']:.0f} ms: "
                    f"promise {'kept' if slow['kept'] else 'BROKEN'}"
                )
            self.results["servers"][server] = rows
        self.server_kind, self.server_options = "granian", []
        self.stop_server()
        self.start_server()

    def metrics_overhead(self) -> None:
        """The floor and the liveness probe with metrics recorded and without, on the same server."""
        overhead: dict[str, dict[str, Any]] = {}
        for label, enabled in (("metrics on", "true"), ("metrics off", "false")):
            self.stop_server()
            self.start_server(METRICS_ENABLED=enabled)
            for path in ("/api/_floor", "/health/live"):
                self.wrk("get.lua", BENCH_PATH=path, BENCH_BUST="0", duration="3s")  # warm up
                overhead[f"{path}, {label}"] = result = self.wrk("get.lua", BENCH_PATH=path, BENCH_BUST="0")
                log(f"  {path}, {label}: {result['rps']:.0f} req/s, p50 {result['p50_ms']:.2f} ms")
        self.results["metrics_overhead"] = overhead
        self.stop_server()
        self.start_server()

    def inprocess_costs(self) -> None:
        """CPU per request in-process (`bench/inprocess.py`, `bench/write_profile.py`), at the size
        the requests above ran: the two floors, the hits, the misses and the rating PUTs, against
        this run's PostgreSQL and Redis; and the floor's lower bounds: with only the middleware
        the SPEC requires (bench/required_settings.py), and the request log, id and metrics done
        bare (`bench/bare_request_work.py`).

        wrk's ratios on a machine this size are set by Python's CPU per request (the server's
        share is small and paid alike), so these say what each target allows a request to cost
        and how far each one is from it; `bench/analysis.md` says where the time goes."""
        out = self.stack.dir / "inprocess.jsonl"
        out.unlink(missing_ok=True)
        tool = [PYTHON, ROOT / "bench" / "inprocess.py"]
        hits = ["/health/live", "movie", "/api/movies/", "/api/movies/top/", "/api/users/synthetic-1/ratings/"]
        runs = [
            ["floor", "-n", "3000"],
            ["section8", "-n", "3000"],
            ["required", "-n", "3000"],
            ["shipped", "-n", "2000", *hits],
            ["shipped", "-n", "300", "--bust", "movie", "/api/movies/"],
        ]
        for arguments in runs:
            subprocess.run([*tool, *arguments, "--json", out], env=self.stack.env, check=True, cwd=ROOT)
        bare: list[str | Path] = [PYTHON, ROOT / "bench" / "bare_request_work.py", "--json", out]
        subprocess.run(bare, env=self.stack.env, check=True, cwd=ROOT)
        writes: list[str | Path] = [PYTHON, ROOT / "bench" / "write_profile.py", "create", "update", "-n", "500"]
        subprocess.run([*writes, "--json", out], env=self.stack.env, check=True, cwd=ROOT)
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        self.results["inprocess"] = rows
        for row in rows:
            kind = "miss" if row["bust"] else row["target"]
            status = f" ({row['status']})" if row["status"] else ""
            log(f"  in-process, {kind} {row['path']}: {row['cpu_us']:.0f} µs CPU{status}")

    def imports(self) -> None:
        if (MOVIELENS_DIR / "ratings.csv").exists():
            self.reset_database()
            started = time.perf_counter()
            self.manage("import_movielens", str(MOVIELENS_DIR))
            self.results["imports"]["MovieLens ml-latest-small (100,836 ratings), first run"] = (
                time.perf_counter() - started
            )
            self.similarity_build("MovieLens ml-latest-small")
            started = time.perf_counter()
            self.manage("import_movielens", str(MOVIELENS_DIR))
            self.results["imports"]["MovieLens ml-latest-small, second run (no changes)"] = (
                time.perf_counter() - started
            )
        folder = self.stack.dir / "synthetic"
        self.manage(
            "generate_dataset",
            "--csv",
            str(folder),
            "--movies",
            str(MOVIES),
            "--users",
            "10000",
            "--ratings",
            str(IMPORT_RATINGS),
            "--seed",
            "7",
        )
        self.reset_database()
        started = time.perf_counter()
        self.manage("import_movielens", str(folder))
        name = f"{IMPORT_RATINGS:,} synthetic ratings (MovieLens layout)"
        self.results["imports"][name] = time.perf_counter() - started
        self.similarity_build(f"{IMPORT_RATINGS:,} synthetic ratings ({MOVIES:,} movies, 10,000 users)")
        for name, seconds in self.results["imports"].items():
            log(f"  import {name}: {seconds:.1f} s")

    def transfers(self) -> None:
        """A user's ratings out (export of EXPORT_RATINGS) and in (import of IMPORT_ROWS), over HTTP."""
        log(f"ratings export ({EXPORT_RATINGS:,}) and import ({IMPORT_ROWS:,} rows)")
        self.reset_database()
        self.manage("generate_dataset", "--movies", str(EXPORT_RATINGS + 5000), "--users", "200", "--ratings", "10000")
        setup = self.stack.dir / "transfers.json"
        code = f"""
import csv, io, json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from django.db.models import Count
from rest_framework_simplejwt.tokens import AccessToken
from movies.models import Movie
from ratings.services import RatingWrite, ratings_bulk_upsert
from users.models import User

exporter = User.objects.create_user("bench-export", "export@example.com", None)
importer = User.objects.create_user("bench-import", "import@example.com", None)
start = datetime(2020, 1, 1, tzinfo=UTC)
ids = list(Movie.objects.order_by("pk").values_list("pk", flat=True)[:{EXPORT_RATINGS}])
moments = [start + timedelta(minutes=n) for n in range(len(ids))]
writes = [
    RatingWrite(pk, Decimal(1 + n % 9) / 2, f'review {{n}}, "quoted"', moments[n], moments[n])
    for n, pk in enumerate(ids)
]
ratings_bulk_upsert(user=exporter, ratings=writes)
out = io.StringIO()
rows = csv.writer(out)
rows.writerow(["Date", "Name", "Year", "Letterboxd URI", "Rating"])
single = Movie.objects.values("title", "year").annotate(n=Count("id")).filter(n=1)  # findable by title and year
for n, (title, year) in enumerate(single.order_by("title", "year").values_list("title", "year")[:{IMPORT_ROWS}]):
    day = f"2021-{{1 + n % 12:02d}}-{{1 + n % 28:02d}}"
    rows.writerow([day, title, year or "", "https://boxd.it/x", (1 + n % 10) / 2])
json.dump({{"export": str(AccessToken.for_user(exporter)), "import": str(AccessToken.for_user(importer)),
           "file": out.getvalue()}}, open({str(setup)!r}, "w"))
"""
        self.manage("shell", "-c", code)
        data = json.loads(setup.read_text())
        self.manage("shell", "-c", "from django.db import connection; connection.cursor().execute('VACUUM ANALYZE')")
        self.start_server()
        base = f"http://127.0.0.1:{self.port}/api/users/me/ratings"
        for _ in range(2 * WORKERS):  # every worker loaded and connected before anything is timed
            warm_up = urllib.request.Request(
                f"{base}/?page_size=1", headers={"Authorization": f"Bearer {data['export']}"}
            )
            urllib.request.urlopen(warm_up, timeout=30).read()
        for fmt in ("csv", "json"):
            request = urllib.request.Request(
                f"{base}/export/?format={fmt}", headers={"Authorization": f"Bearer {data['export']}"}
            )
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=120) as response:
                size = sum(len(chunk) for chunk in iter(lambda: response.read(65536), b""))
            seconds = time.perf_counter() - started
            self.results["transfers"][f"export of {EXPORT_RATINGS:,} ratings, {fmt.upper()} ({size / 1e6:.1f} MB)"] = (
                seconds
            )
        boundary = "benchboundary7MA4YWxkTrZu0gW"
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="ratings.csv"\r\n'
            f"Content-Type: text/csv\r\n\r\n{data['file']}\r\n--{boundary}--\r\n"
        ).encode()
        for run in ("first run", "second run (nothing to change)"):
            request = urllib.request.Request(
                f"{base}/import/",
                data=body,
                method="POST",
                headers={
                    "Authorization": f"Bearer {data['import']}",
                    "Content-Type": f"multipart/form-data; boundary={boundary}",
                },
            )
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=120) as response:
                report = json.loads(response.read())
            seconds = time.perf_counter() - started
            counts = f"created {report['created']:,}, updated {report['updated']:,}, unchanged {report['unchanged']:,}"
            counts += f", unmatched {len(report['unmatched']):,}, invalid {len(report['invalid']):,}"
            self.results["transfers"][f"import of {IMPORT_ROWS:,} Letterboxd rows, {run}: {counts}"] = seconds
        self.stop_server()
        self.results["transfers_recompute"] = self.manage("recompute_statistics").strip()
        for name, seconds in self.results["transfers"].items():
            log(f"  {name}: {seconds:.2f} s")
        log(f"  after the import: {self.results['transfers_recompute']}")


def slow_client_check(
    port: int, token: str, trickled: str, clients: int = SLOW_CLIENTS, probes: int = SLOW_PROBES
) -> dict[str, Any]:
    """SPEC section 8 on the server at `port`: `clients` connections trickle a byte each every
    0.2 s (`trickled`: a request's "headers", or a PUT's "body" after complete headers, "idle":
    nothing at all) while `probes` normal cache hits go one after another; kept if each is a 200
    within a second. A probe gives up after 2 s, and the check after three probes that gave up."""
    opening = {"idle": b"", "headers": b"GET /api/movies/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "}.get(trickled)
    if trickled == "body":
        opening = (
            f"PUT /api/movies/42/rating/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            'Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n{"score": 4, "review": "'
        ).encode()
    if opening is None:
        raise ValueError(f"trickled is idle, headers or body, not {trickled!r}")
    held: list[socket.socket] = []
    stop = threading.Event()

    def trickle() -> None:
        while opening and not stop.wait(0.2):  # idle connections send nothing
            for sock in held:
                with contextlib.suppress(OSError):
                    sock.send(b"a")

    trickler = threading.Thread(target=trickle, daemon=True)
    replies: list[harness.Reply] = []
    try:
        for _ in range(clients):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            held.append(sock)
            sock.sendall(opening)
        trickler.start()
        time.sleep(0.5)  # every slow connection accepted and read from
        for _ in range(probes):
            replies.append(harness.call(port, "GET", "/api/movies/42/", token=token, timeout=2))
            if sum(1 for r in replies if r.status == 0) >= 3:
                break
    finally:
        stop.set()
        if trickler.is_alive():
            trickler.join(timeout=5)
        for sock in held:
            sock.close()
    seconds = [r.seconds for r in replies if r.status == 200]
    return {
        "clients": clients,
        "probes": probes,
        "answered": len(seconds),
        "sent": len(replies),
        "slowest_ms": max(seconds, default=0.0) * 1000,
        "kept": len(replies) == probes and all(r.status == 200 and r.seconds <= 1.0 for r in replies),
    }


def main() -> int:
    if shutil.which("wrk") is None:
        log("installing wrk")
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True)
    bench = Bench()
    bench.results["load"]["start"] = os.getloadavg()
    started = time.perf_counter()
    similarity_only = "--similarity-only" in sys.argv[1:]
    try:
        bench.start_services()
        if os.environ.get("BENCH_ONLY") == "transfers":
            bench.transfers()
        elif os.environ.get("BENCH_ONLY") == "servers":
            bench.servers_only()
        else:
            if not similarity_only:
                bench.scaling_series()
            bench.imports()
            if not similarity_only:
                bench.transfers()
    finally:
        bench.cleanup()
    if similarity_only:
        out = ROOT / "bench-results"
        out.mkdir(exist_ok=True)
        (out / "similarity.json").write_text(json.dumps(bench.results["similarity"], indent=2))
        log(f"done in {(time.perf_counter() - started) / 60:.1f} minutes: see bench-results/similarity.json")
        return 0
    bench.results["total_seconds"] = time.perf_counter() - started
    bench.results["machine"] = describe_machine()
    bench.results["connections"] = CONNECTIONS
    bench.results["workers"] = WORKERS
    bench.results["slow_clients"] = SLOW_CLIENTS
    bench.results["load"]["end"] = os.getloadavg()
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    if only := os.environ.get("BENCH_ONLY"):  # a partial run: keep its figures, leave BENCHMARKS.md alone
        (out / f"{only}.json").write_text(json.dumps(bench.results, indent=2))
        if only == "servers":
            sys.path.insert(0, str(ROOT / "bench"))
            from report import server_section

            print(server_section(bench.results), flush=True)
        log(f"done in {bench.results['total_seconds'] / 60:.1f} minutes: see bench-results/{only}.json")
        return 0
    (out / "results.json").write_text(json.dumps(bench.results, indent=2))
    subprocess.run([PYTHON, ROOT / "bench" / "report.py", out / "results.json"], check=True)
    log(f"done in {bench.results['total_seconds'] / 60:.1f} minutes: see BENCHMARKS.md")
    return 0


def describe_machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "?")
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    memory_gib = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal")) / 1024 / 1024
    system = f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    return f"{os.cpu_count()} cores ({cpu}), {memory_gib:.0f} GiB RAM, {system}"


if __name__ == "__main__":
    sys.exit(main())
