#!/usr/bin/env python3
"""CPU per request, in-process: a loop of requests straight through a WSGI application.

wrk's numbers on a shared machine swing with everyone else's load; the CPU one request costs in
this process does not, so this is how the floor's changes are measured (bench/analysis.md).

    bench/inprocess.py shipped [--profile FILE] [--bust] [PATH ...]  # config.wsgi, production settings
    bench/inprocess.py floor                                          # bench/floor, the minimal project
    bench/inprocess.py required                                       # bench/required_settings.py
    bench/inprocess.py section8                                       # the same, Django's three only

`shipped` runs production settings as `make bench` does (LOG_LEVEL=INFO, LOG_FORMAT=json, the log
going to /dev/null instead of the server's log file) against DATABASE_URL and REDIS_URL, which
must be set and migrated, with at least one movie. Each path is requested as a logged-in client
sends it (a bearer token, `Accept: application/json`); `movie` stands for the first movie's detail,
requested once before the loop so that the loop is all cache hits; with `--bust` every request
adds a query parameter no other request used, so each one is a cache miss (as `make bench`'s
miss scenarios are). Every response is read and closed as a WSGI server does (closing it sends
`request_finished`). `--json FILE` appends one JSON object per path to FILE (`make bench` reads it).

`required` is `shipped` with only the middleware other sections of the SPEC ask every request to
pass through (bench/required_settings.py), `section8` with only Django's three of them: what the
floor costs whatever the rest of the stack does (bench/analysis.md).

It prints, per path, the best of ROUNDS rounds of N requests, in microseconds per request, wall
clock and process CPU time.
"""

import argparse
import io
import itertools
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# Targets served with bench/required_settings.py, and which of its middleware lists each runs.
TRIMMED = {"required": "MIDDLEWARE", "section8": "SECTION_8_MIDDLEWARE"}


def environ_for(path: str, token: str) -> dict[str, Any]:
    path, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": "wrk",
        "HTTP_ACCEPT": "application/json",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if token:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return environ


def request(application: Any, template: dict[str, Any]) -> str:
    status = ""

    def start_response(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        nonlocal status
        status = line

    environ = dict(template)
    environ.setdefault("wsgi.input", io.BytesIO(b""))  # an empty body, unless the caller gave one
    response = application(environ, start_response)
    try:
        for _chunk in response:
            pass
    finally:
        response.close()
    return status


def environs(template: dict[str, Any], bust: bool) -> Iterator[dict[str, Any]]:
    """`template` again and again, or (`bust`) each time with a query parameter no other request
    of this process used: a cache miss."""
    if not bust:
        yield from itertools.repeat(template)
    run = os.urandom(4).hex()
    query = template["QUERY_STRING"]
    for number in itertools.count():
        yield {**template, "QUERY_STRING": f"{query}&bust={run}{number}" if query else f"bust={run}{number}"}


def measure(
    application: Any, template: dict[str, Any], count: int, rounds: int, bust: bool = False
) -> tuple[float, float]:
    best_wall = best_cpu = float("inf")
    sequence = environs(template, bust)
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        for environ in itertools.islice(sequence, count):
            request(application, environ)
        best_wall = min(best_wall, (time.perf_counter() - wall) / count)
        best_cpu = min(best_cpu, (time.process_time() - cpu) / count)
    return best_wall * 1e6, best_cpu * 1e6


def shipped_application(trimmed: str | None = None) -> tuple[Any, str, dict[str, str]]:
    """config.wsgi's application; `trimmed` (a TRIMMED key): with bench/required_settings.py, its
    MIDDLEWARE the list TRIMMED names."""
    for name in ("DATABASE_URL", "REDIS_URL"):
        if not os.environ.get(name):
            sys.exit(f"set {name} (a migrated database with movies, and Redis): see .ci/services")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.required_settings" if trimmed else "config.settings.production",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "inprocess-" + os.urandom(24).hex(),
            "SECURE_SSL_REDIRECT": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
            "LOG_FORMAT": os.environ.get("LOG_FORMAT", "json"),
        }
    )
    if trimmed:
        from django.conf import settings

        settings.MIDDLEWARE = getattr(settings, TRIMMED[trimmed])
    from config.wsgi import application  # sets Django up: the imports below need it

    return application, *_token_and_aliases()


def _token_and_aliases() -> tuple[str, dict[str, str]]:
    from rest_framework_simplejwt.tokens import AccessToken

    from movies.models import Movie
    from users.models import User

    user, _ = User.objects.get_or_create(username="inprocess-bench")
    movie = Movie.objects.order_by("pk").first()
    if movie is None:
        sys.exit("the database has no movie: load some (manage.py load_demo_data)")
    return str(AccessToken.for_user(user)), {"movie": f"/api/movies/{movie.pk}/"}


def floor_application() -> tuple[Any, str, dict[str, str]]:
    """What bench/floor/wsgi.py serves."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.floor.settings"
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application(), "", {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", choices=["shipped", *TRIMMED, "floor"])
    parser.add_argument("paths", nargs="*", help="default: /health/live (and `movie` for shipped)")
    parser.add_argument("-n", "--count", type=int, default=2000, help="requests per round (default 2000)")
    parser.add_argument("-r", "--rounds", type=int, default=5, help="rounds; the best is reported (default 5)")
    parser.add_argument("--profile", help="write a cProfile of one more round of each path to this file")
    parser.add_argument("--no-token", action="store_true", help="send no bearer token")
    parser.add_argument("--bust", action="store_true", help="each request a cache miss (a parameter never seen before)")
    parser.add_argument("--json", help="append one JSON object per path to this file")
    args = parser.parse_intermixed_args()

    sys.path.insert(0, str(ROOT))
    if args.target == "floor":
        application, token, aliases = floor_application()
    else:
        application, token, aliases = shipped_application(args.target if args.target in TRIMMED else None)
    # From here the request log goes where a server's log file would, minus the disk: /dev/null
    # (the file descriptor, so the log handler's stream goes there too); results go to stdout.
    results = os.fdopen(os.dup(1), "w")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    if args.no_token:
        token = ""
    paths = args.paths or (["/health/live", "movie"] if args.target == "shipped" else ["/health/live"])
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    for name in paths:
        path = aliases.get(name, name)
        template = environ_for(path, token)
        status = request(application, template)  # warms up, and fills the response cache
        request(application, template)
        wall, cpu = measure(application, template, args.count, args.rounds, args.bust)
        print(f"{args.target:8} {path:32} {status:16} {wall:8.1f} µs wall {cpu:8.1f} µs cpu", file=results)
        if args.json:
            with open(args.json, "a") as out:
                row = {"target": args.target, "path": name, "bust": args.bust, "status": status, "wall_us": wall}
                out.write(json.dumps({**row, "cpu_us": cpu}) + "\n")
        if profiler is not None:
            profiler.enable()
            for environ in itertools.islice(environs(template, args.bust), args.count):
                request(application, environ)
            profiler.disable()
    if profiler is not None:
        profiler.dump_stats(args.profile)
    results.flush()


if __name__ == "__main__":
    main()
