"""In-process cost of uncached movie reads: N requests through `django.test.Client` (every
middleware), each a cache miss (a distinct query parameter, as `make bench` busts the cache).

    DATABASE_URL=... REDIS_URL=... PYTHONPATH=. python bench/miss_profile.py [scenario ...]

Scenarios: floor, list v1, detail v1, top v1, list v2, detail v2, top v2, deep list (page 200 of
the list, v1), rated list (a page of the public rated-movies list of MovieLens user 547, imported
by `import_movielens`), all by default.
Prints milliseconds per request, wall and CPU (`time.process_time`); PROFILE="list v1" adds a
cProfile of that scenario (SORT=tottime, LINES=45 to change the listing). Needs a catalogue
with ratings (`manage.py import_movielens` or `generate_dataset`). bench/analysis.md's cache-miss
figures come from this loop, run alternately on two checkouts.
"""

import cProfile
import os
import pstats
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from movies.models import Movie  # noqa: E402

setup_test_environment()  # the test client's host is allowed

N = int(os.environ.get("N", "300"))
PROFILE = os.environ.get("PROFILE", "")
ACCEPT = {"1": "application/json", "2": "application/json; version=2"}
RUN = str(time.time_ns())

Request = Callable[[int], tuple[str, dict[str, Any]]]


def scenarios(ids: list[int]) -> Iterator[tuple[str, str, Request]]:
    def floor(i: int) -> tuple[str, dict[str, Any]]:
        return "/health/live", {}

    yield "floor", "1", floor
    for version in ("1", "2"):

        def bust(i: int, version: str = version) -> dict[str, Any]:
            return {"z": f"{RUN}{version}{i}"}

        def listing(i: int, bust: Callable[[int], dict[str, Any]] = bust) -> tuple[str, dict[str, Any]]:
            return "/api/movies/", bust(i)

        def detail(i: int, bust: Callable[[int], dict[str, Any]] = bust) -> tuple[str, dict[str, Any]]:
            return f"/api/movies/{ids[i % len(ids)]}/", bust(i)

        def top(i: int, bust: Callable[[int], dict[str, Any]] = bust) -> tuple[str, dict[str, Any]]:
            return "/api/movies/top/", bust(i)

        yield f"list v{version}", version, listing
        yield f"detail v{version}", version, detail
        yield f"top v{version}", version, top

    def deep(i: int) -> tuple[str, dict[str, Any]]:
        return "/api/movies/", {"page": 200, "z": f"{RUN}{i}"}

    yield "deep list", "1", deep

    def rated(i: int) -> tuple[str, dict[str, Any]]:
        return "/api/users/movielens-547/ratings/", {"z": f"{RUN}{i}"}

    yield "rated list", "1", rated


def main(only: list[str]) -> None:
    client = Client()
    ids = list(Movie.objects.order_by("id").values_list("id", flat=True)[:N])
    for name, version, make in scenarios(ids):
        if only and name not in only:
            continue
        for i in range(20):  # warm-up
            path, params = make(10_000 + i)
            response = client.get(path, {**params, "w": 1}, HTTP_ACCEPT=ACCEPT[version])
            assert response.status_code == 200 and (name == "floor" or response["X-Cache"] == "MISS")
        profile = cProfile.Profile() if name == PROFILE else None
        wall, cpu = time.perf_counter(), time.process_time()
        if profile:
            profile.enable()
        for i in range(N):
            path, params = make(i)
            response = client.get(path, params, HTTP_ACCEPT=ACCEPT[version])
        if profile:
            profile.disable()
        wall_ms, cpu_ms = (time.perf_counter() - wall) / N * 1e3, (time.process_time() - cpu) / N * 1e3
        print(f"{name:10s} wall {wall_ms:6.2f} ms  cpu {cpu_ms:6.2f} ms  ({len(response.content)} bytes)", flush=True)
        if profile:
            stats = pstats.Stats(profile).sort_stats(os.environ.get("SORT", "cumulative"))
            stats.print_stats(int(os.environ.get("LINES", "45")))


if __name__ == "__main__":
    main(sys.argv[1:])
