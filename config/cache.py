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
- Every key expires: entries after CACHE_TTL, generations after CACHE_GENERATION_TTL (an expired
  generation is a fresh one: old entries become unreachable, which is only a miss). A tag that
  has no generation yet gets one only *after* its view answered 200 (`SET NX` of a token chosen
  before the query; if anyone set it meanwhile, an invalidation maybe, the response is not
  stored). So requests for users or movies that do not exist (404s) write nothing, and a flood
  of them leaves Redis memory flat.
- The key is the path, the query (each name and value percent-encoded, repeated parameters in
  the order sent) and the version, JSON-encoded: no two different requests share a key. Nothing
  outside the key shapes a body: pagination links are built from the normalised query and
  PUBLIC_BASE_URL (relative without it), never from the request's Host or scheme.
- On Redis a lookup is one round trip: a Lua script reads the generations, derives the key and
  fetches the entry. Entries are the rendered bytes behind a short header (status, content
  type, ETag), not pickled response objects. `If-None-Match` is answered with a 304 by ConditionalGetMiddleware.
- Redis errors never fail a request: the view is served from the database, one warning is
  logged per interval. An invalidation that could not be written is replaced by a bump of the
  global generation, retried in the background every 0.2 s (and before this process's next
  lookup) until Redis answers, so no entry cached before the outage outlives it by more than
  that retry interval. A Redis that restarts without persistence comes back empty anyway.
- With read replicas (SPEC 17, `config.db`), a generation also records the primary's WAL position
  when it was set (`token@position`): after the commit for an invalidation, before the view's
  queries for a generation a reader creates. A miss reads a replica only when the replica has
  replayed up to the newest position among the generations its key was built from; a lookup that
  failed sends the fill to the primary. The reader/writer race above is closed the same way on a
  replica: a fill stores under the generations it read before it queried, and the replica it
  queried had already replayed every write those generations name.
- The same protocol caches values that are not HTTP responses (`lookup_value`, `store_value`):
  the authentication state of bearer tokens (`users.authstate`) under `auth:<user id>`.
- `cache_response` registers each handler it makes (`cached_handler_tags`), so that
  `users.hits.CachedHitMiddleware` can answer a hit ahead of DRF's dispatch after running the
  same checks; `lookup_hit` reads a response and a value (the JWT user's state) in one round
  trip and only reads: whatever needs a write (a missing generation, a lost invalidation,
  generations without WAL positions under replicas) is left to the view's own lookup.
"""

import functools
import hashlib
import json
import logging
import os
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.http import HttpResponse, QueryDict
from django.utils.http import quote_etag
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError
from rest_framework.request import Request

from config import metrics
from config.api.versioning import request_version
from config.db import close_thread_connections, primary_lsn, reading_from, replica_at_least, replicas

logger = logging.getLogger("config.cache")

CACHE_ERRORS: tuple[type[Exception], ...] = (ConnectionInterrupted, RedisError, OSError)

# Tags. Keep every name here so producers and consumers cannot disagree on spelling.
ALL = "all"  # every cached response depends on it: bump it to drop everything
MOVIE_LISTS = "movies"  # movie lists and top lists
GENRES = "genres"  # the genre list
SIMILAR_MOVIES = "similar"  # every similar-movies list: bumped when a new similarity model is swapped in


def movie_tag(movie_id: int) -> str:
    """One movie's detail and its ratings list."""
    return f"movie:{movie_id}"


def auth_tag(user_id: int) -> str:
    """One account's authentication state: its user row and its personal access tokens."""
    return f"auth:{user_id}"


def user_tag(username: str) -> str:
    """One user's public profile and rated-movies list (any letter case or compatibility form)."""
    return f"user:{unicodedata.normalize('NFKC', username).lower()}"


CACHE_CONTROL = "private, no-cache"  # browsers must revalidate (ETag), shared proxies must not keep copies

_WARN_INTERVAL_SECONDS = 10.0
_last_warning = 0.0
_invalidation_lost = False
_RECOVERY_RETRY_SECONDS = 0.2
_recovery: threading.Thread | None = None
_recovery_lock = threading.Lock()


def warn_cache_unavailable(exc: Exception) -> None:
    """Log that the cache is down, at most once per interval per process."""
    global _last_warning
    metrics.CACHE_ERRORS.inc()
    now = time.monotonic()
    if now - _last_warning >= _WARN_INTERVAL_SECONDS:
        _last_warning = now
        logger.warning("cache unavailable, serving from the database: %s", exc)


def _generation_key(tag: str) -> str:
    return f"gen:{tag}"


def _new_token(position: int | None = None) -> str:
    """A fresh generation; with the primary's WAL `position` when there are replicas."""
    token = uuid.uuid4().hex[:16]
    return token if position is None else f"{token}@{position}"


def _newest_position(generations: list[str]) -> int | None:
    """The newest WAL position the generations record; None if any records none (read the primary)."""
    positions = []
    for generation in generations:
        _, _, position = generation.partition("@")
        if not position:
            return None
        positions.append(int(position))
    return max(positions, default=None)


def _entry_key(base: str, generations: list[str]) -> str:
    """The key of a response: its request (`base`) under the current generations of its tags."""
    return "resp:" + hashlib.sha1(f"{base}|{'|'.join(generations)}".encode(), usedforsecurity=False).hexdigest()


# One round trip for a lookup on Redis: read the generations, derive the entry key exactly like
# `_entry_key`, and fetch the entry. Missing generations come back as false (no entry lookup).
_LOOKUP_SCRIPT = """
local generations = redis.call('MGET', unpack(KEYS))
for i = 1, #generations do
  if not generations[i] then return {generations, false} end
end
local key = 'resp:' .. redis.sha1hex(ARGV[1] .. '|' .. table.concat(generations, '|'))
return {generations, redis.call('GET', key)}
"""


# One round trip for a hit served ahead of the view (`lookup_hit`): the generations of two keys'
# tags (KEYS[1..ARGV[1]] for the response, the rest for a value such as the auth state) and each
# entry, derived exactly like `_entry_key` from ARGV[2] and ARGV[3]. A part one of whose
# generations is missing comes back as false.
_PAIR_SCRIPT = """
local n = tonumber(ARGV[1])
local generations = redis.call('MGET', unpack(KEYS))
local function entry(first, last, base)
  if first > last then return false end
  local parts = {}
  for i = first, last do
    if not generations[i] then return false end
    parts[#parts + 1] = generations[i]
  end
  return redis.call('GET', 'resp:' .. redis.sha1hex(base .. '|' .. table.concat(parts, '|')))
end
return {generations, entry(1, n, ARGV[2]), entry(n + 1, #KEYS, ARGV[3])}
"""


# Give a generation that records no WAL position a fresh one that does, unless it changed meanwhile
# (a write's bump wins: it records a position of its own). KEYS are generation keys, ARGV[1] the
# TTL, ARGV[1 + i] the value seen for KEYS[i], ARGV[1 + #KEYS + i] the replacement.
_POSITION_SCRIPT = """
local n = #KEYS
for i = 1, n do
  if redis.call('GET', KEYS[i]) == ARGV[1 + i] then redis.call('SET', KEYS[i], ARGV[1 + n + i], 'EX', ARGV[1]) end
end
return n
"""


PairFound = tuple[list[str | None], bytes | None, list[str | None], bytes | None]


class RedisStore:
    """Generations and entries as plain Redis strings, through django-redis's connection pool."""

    def __init__(self, backend: Any) -> None:
        self.client = backend.client.get_client(write=True)
        self.lookup_script = self.client.register_script(_LOOKUP_SCRIPT)
        self.pair_script = self.client.register_script(_PAIR_SCRIPT)
        self._local = threading.local()
        self.position_script = self.client.register_script(_POSITION_SCRIPT)

    def lookup(self, tag_keys: list[str], base: str) -> tuple[list[str | None], bytes | None]:
        generations, entry = self.lookup_script(keys=tag_keys, args=[base])
        return [g.decode() if g else None for g in generations], entry or None

    def lookup_pair(self, first: list[str], first_base: str, second: list[str], second_base: str) -> PairFound:
        """Two lookups in one round trip: each part's generations and entry (the hit path's one
        call, through this thread's own connection: `_evalsha`)."""
        generations, first_entry, second_entry = self._evalsha(
            self.pair_script, [*first, *second], [len(first), first_base, second_base]
        )
        found = [g.decode() if g else None for g in generations]
        return found[: len(first)], first_entry or None, found[len(first) :], second_entry or None

    def _evalsha(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        """EVALSHA on a connection of this thread's own, outside redis-py's pool and command
        machinery: a third to two thirds less CPU than redis-py's for the same round trip
        (measured, see docs/users.md). Same protocol, same socket timeouts (the pool's
        connection settings).

        A connection error retries once on a fresh connection (a socket Redis closed while idle);
        a timeout does not (a hanging Redis must cost one timeout); either way the connection is
        closed, as its state is unknown. A Redis that lost its scripts (a restart) gets the
        script loaded again. A connection is never used by two threads or across a fork.
        """
        local = self._local
        connection = getattr(local, "connection", None)
        if connection is None or local.pid != os.getpid():
            pool = self.client.connection_pool
            connection = pool.connection_class(**pool.connection_kwargs)
            local.connection, local.pid, local.answered = connection, os.getpid(), False
        for attempt in range(3):
            try:
                connection.send_command("EVALSHA", script.sha, len(keys), *keys, *args, check_health=False)
                response = connection.read_response()
            except NoScriptError:
                if attempt == 2:
                    raise
                script.sha = self.client.script_load(script.script)
            except RedisConnectionError:
                connection.disconnect()
                # Only a connection that answered before may have gone stale: a fresh one that
                # failed to connect is Redis down, and trying again would double the wait.
                if not local.answered:
                    raise
                local.answered = False
            except BaseException:
                connection.disconnect()
                local.answered = False
                raise
            else:
                local.answered = True
                return response
        raise RedisConnectionError("no answer")  # pragma: no cover - a script lost twice in a row

    def add_generations(self, generations: dict[str, str]) -> bool:
        """Create the generations that do not exist yet; True if every one was created."""
        with self.client.pipeline(transaction=False) as pipe:
            for key, token in generations.items():
                pipe.set(key, token, nx=True, ex=settings.CACHE_GENERATION_TTL)
            return all(pipe.execute())

    def set_generations(self, keys: list[str], position: int | None = None) -> None:
        with self.client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(key, _new_token(position), ex=settings.CACHE_GENERATION_TTL)
            pipe.execute()

    def add_positions(self, seen: dict[str, str], position: int) -> None:
        keys = list(seen)
        replacements = [_new_token(position) for _ in keys]
        self.position_script(keys=keys, args=[settings.CACHE_GENERATION_TTL, *seen.values(), *replacements])

    def get(self, key: str) -> bytes | None:
        value: bytes | None = self.client.get(key)
        return value

    def set(self, key: str, value: bytes, timeout: int) -> None:
        self.client.set(key, value, ex=timeout)


class DjangoCacheStore:
    """The same operations on any Django cache backend (the local-memory fallback): two round trips."""

    def __init__(self, backend: Any) -> None:
        self.cache = backend

    def lookup(self, tag_keys: list[str], base: str) -> tuple[list[str | None], bytes | None]:
        found = self.cache.get_many(tag_keys)
        generations = [found.get(key) for key in tag_keys]
        if None in generations:
            return generations, None
        return generations, self.cache.get(_entry_key(base, generations))

    def lookup_pair(self, first: list[str], first_base: str, second: list[str], second_base: str) -> PairFound:
        """The two lookups one after the other (this store has no scripts)."""
        first_found, first_entry = self.lookup(first, first_base)
        second_found, second_entry = self.lookup(second, second_base) if second else ([], None)
        return first_found, first_entry, second_found, second_entry

    def add_generations(self, generations: dict[str, str]) -> bool:
        """Create the generations that do not exist yet; True if every one was created."""
        added = [
            self.cache.add(key, token, timeout=settings.CACHE_GENERATION_TTL) for key, token in generations.items()
        ]
        return all(added)

    def set_generations(self, keys: list[str], position: int | None = None) -> None:
        self.cache.set_many({key: _new_token(position) for key in keys}, timeout=settings.CACHE_GENERATION_TTL)

    def add_positions(self, seen: dict[str, str], position: int) -> None:
        # Not atomic: this store is the single-process fallback, never in front of replicas.
        for key, value in seen.items():
            if self.cache.get(key) == value:
                self.cache.set(key, _new_token(position), timeout=settings.CACHE_GENERATION_TTL)

    def get(self, key: str) -> bytes | None:
        value: bytes | None = self.cache.get(key)
        return value

    def set(self, key: str, value: bytes, timeout: int) -> None:
        self.cache.set(key, value, timeout=timeout)


def store() -> RedisStore | DjangoCacheStore:
    """The response store of the default cache, built once per cache backend object."""
    backend = caches["default"]
    response_store: RedisStore | DjangoCacheStore | None = getattr(backend, "_response_store", None)
    if response_store is None:
        response_store = RedisStore(backend) if isinstance(backend, RedisCache) else DjangoCacheStore(backend)
        backend._response_store = response_store  # type: ignore[attr-defined]
    return response_store


def invalidate(*tags: str) -> None:
    """Give each tag a fresh generation, so every response cached under the old one is unreachable.

    Runs after the write committed: the primary's WAL position read now is at or past the commit.
    """
    global _invalidation_lost
    try:
        store().set_generations([_generation_key(tag) for tag in tags], primary_lsn())
    except CACHE_ERRORS as exc:
        _invalidation_lost = True
        warn_cache_unavailable(exc)
        _start_recovery()


def _drop_everything_once_reachable() -> None:
    """Retry, until the cache answers, the global invalidation that replaces lost ones."""
    global _invalidation_lost
    try:
        while _invalidation_lost:
            try:
                store().set_generations([_generation_key(ALL)], primary_lsn())
                _invalidation_lost = False
            except CACHE_ERRORS:
                time.sleep(_RECOVERY_RETRY_SECONDS)
    finally:
        close_thread_connections()


def _start_recovery() -> None:
    """Start the retry in the background, so recovery does not wait for this process's next request
    (other processes may otherwise serve entries cached before the lost invalidation)."""
    global _recovery
    with _recovery_lock:
        if _recovery is None or not _recovery.is_alive():
            _recovery = threading.Thread(target=_drop_everything_once_reachable, name="cache-recovery", daemon=True)
            _recovery.start()


def invalidate_on_commit(*tags: str) -> None:
    """Invalidate once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(functools.partial(invalidate, *tags))


@dataclass(frozen=True)
class SeenLookup:
    """What `lookup_hit` read for a response (its request's tags and base, the generations found
    and the entry): the view's own lookup in the same request starts from it instead of asking
    the cache again (`_lookup`)."""

    tags: tuple[str, ...]
    base: str
    found: tuple[str | None, ...]
    entry: bytes | None


def _lookup(
    tags: list[str], base: str, seen: SeenLookup | None = None
) -> tuple[str, bytes | None, dict[str, str], int | None]:
    """The entry key for a request under its tags' current generations, the entry if stored, the
    generations to create, and the newest WAL position the generations record (None: a fill must
    read the primary).

    A tag without a generation gets a token chosen here but not written: `_store` creates it
    (only if still absent) once the view answered 200, and stores the entry only if it could.
    With replicas that token records the primary's position now, before the view queries: any
    write committed earlier is at or before it, and one committing later sets the generation
    first, so the entry is not stored.

    `seen`: what this request read already ahead of the view (`lookup_hit`), for the same tags and
    base; used instead of a second round trip (read before the view's queries all the same)."""
    global _invalidation_lost
    backend = store()
    if _invalidation_lost:
        # An invalidation was lost while the cache was unreachable: drop everything first.
        backend.set_generations([_generation_key(ALL)], primary_lsn())
        _invalidation_lost = False
        seen = None  # read before that drop
    keys = [_generation_key(tag) for tag in tags]
    if seen is not None and seen.tags == tuple(tags) and seen.base == base:
        found, entry = list(seen.found), seen.entry
    else:
        found, entry = backend.lookup(keys, base)
    if None in found:
        now = primary_lsn()
        new = {key: _new_token(now) for key, generation in zip(keys, found, strict=True) if generation is None}
        generations = [generation or new[key] for key, generation in zip(keys, found, strict=True)]
        return _entry_key(base, generations), None, new, _newest_position(generations)
    current = [str(g) for g in found]
    position = _newest_position(current)
    if position is None and replicas():
        # Generations set by a process without replicas configured (or while the primary could not
        # say its position) would keep every fill on the primary until they expire: replace them
        # now by positioned ones, an invalidation like any other (the position covers every commit).
        now = primary_lsn()
        if now is not None:
            backend.add_positions({key: g for key, g in zip(keys, current, strict=True) if "@" not in g}, now)
            found, entry = backend.lookup(keys, base)
            if None not in found:
                current = [str(g) for g in found]
                position = _newest_position(current)
    return _entry_key(base, current), entry, {}, position


def query_pairs(request: Request) -> list[tuple[str, str]]:
    """The query's parameters without blank values (the API treats them as absent), grouped by
    name in name order; a repeated parameter keeps its values in the order the client sent them."""
    return _query_pairs(request.query_params)


def _query_pairs(query: QueryDict) -> list[tuple[str, str]]:
    pairs = [(key, value) for key, values in query.lists() for value in values if value.strip()]
    return sorted(pairs, key=lambda pair: pair[0])


def normalised_query(request: Request) -> str:
    """The query as the cache key sees it: `query_pairs`, each name and value percent-encoded, so
    `?genre=Drama%26search%3Dgod` and `?genre=Drama&search=god` stay different."""
    return urlencode(query_pairs(request))


def request_base(path: str, query: QueryDict, version: str, tags: list[str]) -> str:
    """What identifies a request in its response's key: path, normalised query, version and tags."""
    raw = json.dumps([path, urlencode(_query_pairs(query)), version, *tags])
    return hashlib.sha256(raw.encode()).hexdigest()


def _request_base(request: Request, tags: list[str]) -> str:
    return request_base(request.path, request.query_params, request_version(request), tags)


def _etag(content: bytes) -> str:
    return quote_etag(hashlib.md5(content, usedforsecurity=False).hexdigest())


def _encode_entry(status: int, content_type: str, etag: str, content: bytes) -> bytes:
    return f"{status}\n{content_type}\n{etag}\n".encode() + content


def _decode_entry(entry: bytes) -> tuple[int, str, str, bytes]:
    status, content_type, etag, content = entry.split(b"\n", 3)
    return int(status), content_type.decode(), etag.decode(), content


TagsFunction = Callable[[Request, dict[str, Any]], Iterable[str]]

# Every handler `cache_response` made, with its tags function: what `cached_handler_tags` answers.
_CACHED_HANDLERS: dict[Callable[..., Any], TagsFunction] = {}


def cached_handler_tags(handler: Any) -> TagsFunction | None:
    """The tags function of a handler `cache_response` made (None for any other callable, a
    handler wrapped again by another decorator included): how `users.hits` knows a route's view
    answers from this cache, without a copy of the URL patterns."""
    try:
        return _CACHED_HANDLERS.get(handler)
    except TypeError:  # not hashable: not one of ours
        return None


def hit_response(entry: bytes) -> HttpResponse:
    """The response a stored entry stands for, as `cache_response` answers a hit."""
    status, content_type, etag, content = _decode_entry(entry)
    response = HttpResponse(content, status=status, content_type=content_type)
    response["ETag"] = etag
    response["X-Cache"] = "HIT"
    response["Cache-Control"] = CACHE_CONTROL
    return response


# Set on a Django request whose hit lookup ahead of the view (`users.hits`) found the cache
# unreachable: the view's own lookup is skipped, so a hanging Redis costs one timeout, not two.
CACHE_FAILED_ATTRIBUTE = "cache_lookup_failed"
# Set on a Django request by `users.hits` to the `SeenLookup` it read and did not answer from.
LOOKED_UP_ATTRIBUTE = "cache_lookup_seen"


def cache_response(tags: TagsFunction) -> Callable[..., Any]:
    """Cache a public read view's 200 responses under the given tags.

    Decorate a viewset or APIView handler (`list`, `retrieve`, `get`, an `@action`): it runs
    inside DRF's dispatch, so authentication, permissions, throttles and version negotiation
    still run on a hit. `tags(request, view_kwargs)` names what the response shows, from the
    URL's kwargs only (`users.hits` calls it before the view exists). Only for responses that
    never depend on who asks. The handler is registered (`cached_handler_tags`), so a hit can be
    served ahead of DRF's dispatch by `users.hits.CachedHitMiddleware`, which runs the same
    checks.
    """

    def decorator(handler: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(handler)
        def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Any:
            key_tags = [ALL, *tags(request, kwargs)]
            key: str | None
            new_generations: dict[str, str] = {}
            position: int | None = None
            if getattr(request._request, CACHE_FAILED_ATTRIBUTE, False):
                key, entry = None, None  # counted and logged where it failed, this request
            else:
                seen = getattr(request._request, LOOKED_UP_ATTRIBUTE, None)
                try:
                    key, entry, new_generations, position = _lookup(key_tags, _request_base(request, key_tags), seen)
                except CACHE_ERRORS as exc:
                    warn_cache_unavailable(exc)
                    key, entry = None, None
                    metrics.CACHE_LOOKUPS.labels("error").inc()
                else:
                    metrics.CACHE_LOOKUPS.labels("miss" if entry is None else "hit").inc()

            if entry is not None:
                return hit_response(entry)

            # A replica only when it has replayed every write these generations name (config.db).
            with reading_from(replica_at_least(position)):
                response = handler(view, request, *args, **kwargs)
            response["X-Cache"] = "MISS"
            response["Cache-Control"] = CACHE_CONTROL
            if response.status_code == 200:
                response.add_post_render_callback(functools.partial(_store, key, new_generations))
            return response

        _CACHED_HANDLERS[wrapper] = tags
        return wrapper

    return decorator


class CacheUnavailable(Exception):
    """`lookup_hit` could not ask the cache (the error was counted and logged)."""


class HitLookup(NamedTuple):
    entry: bytes | None
    value: bytes | None
    seen: SeenLookup | None  # for the view's lookup if the request goes on to the view


def lookup_hit(tags: list[str], base: str, value_tags: list[str] | None = None, value_name: str = "") -> HitLookup:
    """The stored response for `base` under `tags` (the `ALL` tag first) and, when `value_tags` is
    given, the value `lookup_value(value_tags, value_name)` would find: one round trip on Redis.

    For serving a hit ahead of the view (`users.hits`): it only reads. None for a part that is not
    stored or must not be trusted from here: a generation missing (the view's lookup creates it),
    an invalidation lost while the cache was down (the view's lookup recovers it first), or
    generations without WAL positions while there are replicas (the view's lookup replaces them).
    Raises `CacheUnavailable` on a cache error, after counting and logging it. `seen` is what was
    read for the response, for the view's own lookup if the request goes on to the view
    (`LOOKED_UP_ATTRIBUTE`): a miss costs no second round trip.
    """
    if _invalidation_lost:
        return HitLookup(None, None, None)
    keys = [_generation_key(tag) for tag in tags]
    value_keys: list[str] = []
    value_base = ""
    if value_tags is not None:
        value_key_tags = [ALL, *value_tags]
        value_keys = [_generation_key(tag) for tag in value_key_tags]
        value_base = json.dumps(["value", value_name, *value_key_tags])
    try:
        found, entry, value_found, value = store().lookup_pair(keys, base, value_keys, value_base)
    except CACHE_ERRORS as exc:
        warn_cache_unavailable(exc)
        metrics.CACHE_LOOKUPS.labels("error").inc()
        raise CacheUnavailable from exc
    seen = SeenLookup(tuple(tags), base, tuple(found), entry)
    if replicas() and any(generation is not None and "@" not in generation for generation in found + value_found):
        return HitLookup(None, None, seen)
    return HitLookup(entry, value, seen)


@dataclass(frozen=True)
class ValueSlot:
    """Where a value read from the database after `lookup_value` goes: its key under the
    generations read before the read, and the generations that did not exist yet."""

    key: str
    new_generations: dict[str, str]


def lookup_value(tags: Iterable[str], name: str) -> tuple[bytes | None, ValueSlot | None]:
    """A value that is not a response, cached under `name` and the tags `all` and `tags`.

    Returns the stored bytes (None on a miss) and the slot to fill after reading the database
    (None when the cache did not answer: read the database and store nothing). Call it *before*
    the read, so a write committed meanwhile leaves the fill unreachable (the module docstring).
    Never raises a cache error.
    """
    key_tags = [ALL, *tags]
    try:
        key, entry, new_generations, _ = _lookup(key_tags, json.dumps(["value", name, *key_tags]))
    except CACHE_ERRORS as exc:
        warn_cache_unavailable(exc)
        return None, None
    return entry, ValueSlot(key, new_generations)


def store_value(slot: ValueSlot | None, value: bytes) -> None:
    """Store `value` in the slot `lookup_value` gave, unless a generation it had to create was
    created meanwhile (an invalidation, maybe). Never raises a cache error."""
    if slot is not None:
        _put(slot.key, slot.new_generations, value)


def _put(key: str, new_generations: dict[str, str], entry: bytes) -> None:
    try:
        if new_generations and not store().add_generations(new_generations):
            return
        store().set(key, entry, timeout=settings.CACHE_TTL)
    except CACHE_ERRORS as exc:
        warn_cache_unavailable(exc)


def _store(key: str | None, new_generations: dict[str, str], response: Any) -> None:
    """Post-render callback: give the response its ETag and keep its bytes under `key`.

    Generations that did not exist when the request began are created now, after the view found
    what it shows (a 404 never gets here, so a request for a user or movie that does not exist
    writes nothing). If one of them was created meanwhile, by another reader or by an
    invalidation, the entry is not stored: it may predate that invalidation.
    """
    content = response.content
    response["ETag"] = _etag(content)
    if key is not None:
        entry = _encode_entry(response.status_code, response["Content-Type"], response["ETag"], content)
        _put(key, new_generations, entry)
