"""The bound views (bench/bounds/__init__.py), beside every route of the shipped project."""

import json
import os
import threading
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from redis import ConnectionPool

from config.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401

# What `make bench` stores before measuring: a cached movie's response body (bench/run.py).
HIT_ENTRY_KEY = "bench:bound:entry"
_local = threading.local()


def command(*args: Any) -> Any:
    """One command on a Redis connection of this thread's own, sent and read as the hit path's
    are (config.cache.RedisStore._evalsha): the cheapest round trip redis-py offers."""
    if getattr(_local, "pid", None) != os.getpid():
        pool = ConnectionPool.from_url(settings.REDIS_URL)
        _local.connection, _local.pid = pool.connection_class(**pool.connection_kwargs), os.getpid()
    _local.connection.send_command(*args, check_health=False)
    return _local.connection.read_response()


def hit(request: HttpRequest) -> HttpResponse:
    """The entry's bytes, as they are: no token, generation or header of a real hit."""
    return HttpResponse(command("GET", HIT_ENTRY_KEY), content_type="application/json")


def miss(request: HttpRequest, pk: int) -> HttpResponse:
    """The lookup that finds nothing, then the row: no store (a miss would also store its body)."""
    if command("GET", f"bench:bound:miss:{request.get_full_path()}") is not None:
        raise RuntimeError("the miss bound found an entry: every request must be new")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, title, year, ratings_count, ratings_sum FROM movies_movie WHERE id = %s", [pk])
        row = dict(zip([column.name for column in cursor.description], cursor.fetchone(), strict=True))
    return HttpResponse(json.dumps(row, default=str).encode(), content_type="application/json")


@csrf_exempt
def write(request: HttpRequest, pk: int) -> HttpResponse:
    """One statement, its own durable transaction (autocommit), then the invalidation, one SET
    before the answer: no authentication or throttle, which a rating write also needs."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE movies_movie SET ratings_count = ratings_count WHERE id = %s", [pk])
    command("SET", f"bench:bound:generation:{pk}", os.urandom(8).hex(), "EX", 60)
    return HttpResponse(b'{"score": 3.5}', content_type="application/json")


urlpatterns = [
    path("bound/hit/", hit),
    path("bound/miss/<int:pk>/", miss),
    path("bound/write/<int:pk>/", write),
    *urlpatterns,
]
