"""In-process cost of a cached read with a bearer token (issue 15 item 3).

Runs N requests of `GET /api/movies/<id>/` with `Authorization: Bearer <jwt>` (and with a personal
access token) through Django's WSGI handler, after one request that fills the cache, and prints
µs per request (wall and CPU) and the SQL queries each hit ran. Needs the database and the cache
of the settings in use (DATABASE_URL, REDIS_URL), migrated:

    DJANGO_SETTINGS_MODULE=config.settings.test .venv/bin/python bench/auth_hit.py [N]

The machine's load moves wall time; CPU time (time.process_time) is the steadier figure.
"""

import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from inprocess import environ_for, measure, request  # bench/inprocess.py: the same request loop


def main(count: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from rest_framework_simplejwt.tokens import AccessToken

    from movies.models import Movie
    from users.models import User
    from users.services import token_create

    user, _ = User.objects.get_or_create(username="bench-auth-hit", defaults={"email": "bench-auth-hit@example.com"})
    movie = Movie.objects.order_by("pk").first() or Movie.objects.create(title="Bench movie", year=2000)
    user.personal_access_tokens.filter(name="bench").update(revoked_at=user.date_joined)
    _, secret = token_create(owner=user, name="bench", scopes=["read"], expires_in_days=1)
    handler = WSGIHandler()
    path = f"/api/movies/{movie.pk}/"

    for name, token in (("jwt", str(AccessToken.for_user(user))), ("pat", secret)):
        template = environ_for(path, token)
        for _ in range(50):  # fill the cache and warm up
            assert request(handler, template).startswith("200")
        queries: list[str] = []

        def record(execute: Any, sql: str, *args: Any, queries: list[str] = queries) -> Any:
            queries.append(sql)
            return execute(sql, *args)

        with connection.execute_wrapper(record):
            assert request(handler, template).startswith("200")
        wall, cpu = measure(handler, template, count, rounds=1)
        print(f"{name}: {wall:.0f} µs/request wall, {cpu:.0f} µs/request CPU, {len(queries)} SQL queries on a hit")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
