"""Response caching for public read views, invalidated precisely by generation tags.

Design (SPEC section 7):

- A cached view names the *tags* its response depends on (`movie:42`, `movies`, `user:alice`).
  Each tag has a *generation* token in the cache; the response key is built from the path, the
  normalised query, the negotiated API version and the current generations of its tags (plus
  the global tag `all`).
- Invalidating a tag replaces its generation with a fresh random token: every key built from
  the old one is unreachable at once (O(1), no `KEYS`/`SCAN`), and the entries expire by TTL.
- The generations are read *before* the view queries the database. A reader that started
  before a write committed therefore stores its (possibly stale) copy under the old
  generation, which no later reader asks for: once a write has returned, no read sees older
  data. Invalidation runs after commit (`invalidate_on_commit`), before the response leaves.
- Entries are the rendered bytes with their status, content type and ETag, not pickled
  response objects. `If-None-Match` is answered with a 304 by ConditionalGetMiddleware.
- Redis errors never fail a request: the view is served from the database, one warning is
  logged per interval, and an invalidation that could not be written makes this process bump
  the global generation as soon as Redis answers again, so no stale entry survives an outage.
"""

import functools
import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.http import quote_etag
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError
from rest_framework.request import Request

from config.api.versioning import request_version

logger = logging.getLogger("config.cache")

CACHE_ERRORS: tuple[type[Exception], ...] = (ConnectionInterrupted, RedisError, OSError)

# Tags. Keep every name here so producers and consumers cannot disagree on spelling.
ALL = "all"  # every cached response depends on it: bump it to drop everything
MOVIE_LISTS = "movies"  # movie lists and top lists
GENRES = "genres"  # the genre list


def movie_tag(movie_id: int) -> str:
    """One movie's detail and its ratings list."""
    return f"movie:{movie_id}"


def user_tag(username: str) -> str:
    """One user's public profile and rated-movies list."""
    return f"user:{username.lower()}"


CACHE_CONTROL = "private, no-cache"  # browsers must revalidate (ETag), shared proxies must not keep copies

_WARN_INTERVAL_SECONDS = 10.0
_last_warning = 0.0
_invalidation_lost = False


def warn_cache_unavailable(exc: Exception) -> None:
    """Log that the cache is down, at most once per interval per process."""
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= _WARN_INTERVAL_SECONDS:
        _last_warning = now
        logger.warning("cache unavailable, serving from the database: %s", exc)


def _generation_key(tag: str) -> str:
    return f"gen:{tag}"


def _new_token() -> str:
    return uuid.uuid4().hex[:16]


def invalidate(*tags: str) -> None:
    """Give each tag a fresh generation, so every response cached under the old one is unreachable."""
    global _invalidation_lost
    try:
        cache.set_many({_generation_key(tag): _new_token() for tag in tags}, timeout=None)
    except CACHE_ERRORS as exc:
        _invalidation_lost = True
        warn_cache_unavailable(exc)


def invalidate_on_commit(*tags: str) -> None:
    """Invalidate once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(functools.partial(invalidate, *tags))


def _generations(tags: list[str]) -> list[str]:
    """The current generation of each tag, creating the missing ones."""
    global _invalidation_lost
    if _invalidation_lost:
        # An invalidation was lost while the cache was unreachable: drop everything first.
        cache.set(_generation_key(ALL), _new_token(), timeout=None)
        _invalidation_lost = False
    keys = [_generation_key(tag) for tag in tags]
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        for key in missing:
            cache.add(key, _new_token(), timeout=None)
        found.update(cache.get_many(missing))
    return [str(found.get(key, "")) for key in keys]


def normalised_query(request: Request) -> str:
    """The query string with parameters sorted and blank values dropped."""
    pairs = sorted((key, value) for key, values in request.query_params.lists() for value in values if value.strip())
    return "&".join(f"{key}={value}" for key, value in pairs)


def _response_key(request: Request, tags: list[str], generations: list[str]) -> str:
    raw = "|".join([request.path, normalised_query(request), request_version(request), *tags, *generations])
    return "resp:" + hashlib.sha256(raw.encode()).hexdigest()


def _etag(content: bytes) -> str:
    return quote_etag(hashlib.md5(content, usedforsecurity=False).hexdigest())


def cache_response(tags: Callable[[Request, dict[str, Any]], Iterable[str]]) -> Callable[..., Any]:
    """Cache a public read view's 200 responses under the given tags.

    Decorate a viewset or APIView handler (`list`, `retrieve`, `get`, an `@action`): it runs
    inside DRF's dispatch, so authentication, permissions, throttles and version negotiation
    still run on a hit. `tags(request, view_kwargs)` names what the response shows. Only for
    responses that never depend on who asks.
    """

    def decorator(handler: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(handler)
        def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Any:
            key_tags = [ALL, *tags(request, kwargs)]
            try:
                key = _response_key(request, key_tags, _generations(key_tags))
                entry = cache.get(key)
            except CACHE_ERRORS as exc:
                warn_cache_unavailable(exc)
                key, entry = None, None

            if entry is not None:
                status, content_type, etag, content = entry
                response = HttpResponse(content, status=status, content_type=content_type)
                response["ETag"] = etag
                response["X-Cache"] = "HIT"
                response["Cache-Control"] = CACHE_CONTROL
                return response

            response = handler(view, request, *args, **kwargs)
            response["X-Cache"] = "MISS"
            response["Cache-Control"] = CACHE_CONTROL
            if response.status_code == 200:
                response.add_post_render_callback(functools.partial(_store, key))
            return response

        return wrapper

    return decorator


def _store(key: str | None, response: Any) -> None:
    """Post-render callback: give the response its ETag and keep its bytes under `key`."""
    content = response.content
    response["ETag"] = _etag(content)
    if key is None:
        return
    entry = (response.status_code, response["Content-Type"], response["ETag"], content)
    try:
        cache.set(key, entry, timeout=settings.CACHE_TTL)
    except CACHE_ERRORS as exc:
        warn_cache_unavailable(exc)
