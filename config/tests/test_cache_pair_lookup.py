"""The hit path's one Redis round trip (`config.cache.lookup_hit`, `RedisStore.lookup_pair`): the
same answer as two lookups, through a connection of each thread's own that survives what a
pooled one survives (Redis closing it, Redis losing its scripts) and fails fast otherwise."""

import threading

import pytest
from django.http import QueryDict
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from config import cache

pytestmark = [pytest.mark.redis]

TAGS = [cache.ALL, cache.movie_tag(7)]
VALUE_TAGS = [cache.auth_tag(3)]


@pytest.fixture
def stored() -> tuple[str, bytes, bytes]:
    """A response and a value stored as the view and `store_value` store them."""
    base = cache.request_base("/api/movies/7/", QueryDict(""), "1", TAGS)
    key, entry, new, _ = cache._lookup(TAGS, base)
    assert entry is None
    cache._put(key, new, b"the response")
    _, slot = cache.lookup_value(VALUE_TAGS, "user:3")
    cache.store_value(slot, b"the state")
    return base, b"the response", b"the state"


def hit(*args: object) -> tuple[bytes | None, bytes | None]:
    """The response and the value `lookup_hit` found."""
    entry, value, _ = cache.lookup_hit(*args)  # type: ignore[arg-type]
    return entry, value


def redis_store() -> cache.RedisStore:
    store = cache.store()
    assert isinstance(store, cache.RedisStore)
    return store


def test_one_round_trip_finds_what_the_two_lookups_find(stored):
    base, response, state = stored
    assert hit(TAGS, base, VALUE_TAGS, "user:3") == (response, state)
    assert hit(TAGS, base) == (response, None)
    assert hit(TAGS, base, [cache.auth_tag(4)], "user:4") == (response, None)
    cache.invalidate(cache.movie_tag(7))
    assert hit(TAGS, base, VALUE_TAGS, "user:3") == (None, state)
    cache.invalidate(cache.auth_tag(3))
    assert hit(TAGS, base, VALUE_TAGS, "user:3") == (None, None)


def test_a_connection_redis_closed_is_replaced_once(stored):
    base, response, state = stored
    store = redis_store()
    assert hit(TAGS, base, VALUE_TAGS, "user:3") == (response, state)
    connection = store._local.connection
    connection.send_command("CLIENT", "ID")
    store.client.execute_command("CLIENT", "KILL", "ID", connection.read_response())
    assert hit(TAGS, base, VALUE_TAGS, "user:3") == (response, state)


def test_scripts_redis_lost_are_loaded_again(stored):
    base, response, state = stored
    assert hit(TAGS, base, VALUE_TAGS, "user:3") == (response, state)
    redis_store().client.script_flush()
    assert hit(TAGS, base, VALUE_TAGS, "user:3") == (response, state)


def test_a_timeout_is_one_cache_error_and_the_next_lookup_reconnects(stored, monkeypatch):
    base, response, _ = stored
    store = redis_store()
    assert hit(TAGS, base) == (response, None)
    connection = store._local.connection
    reads = []

    def hanging(*args, **kwargs):
        reads.append(1)
        raise RedisTimeoutError("Timeout reading from socket")

    monkeypatch.setattr(connection, "read_response", hanging)
    with pytest.raises(cache.CacheUnavailable):
        cache.lookup_hit(TAGS, base)
    assert reads == [1]  # not retried: a hanging Redis costs one timeout
    monkeypatch.undo()
    assert hit(TAGS, base) == (response, None)


def test_redis_down_fails_at_once_without_a_retry(stored, monkeypatch):
    base, _, _ = stored
    store = redis_store()
    store._local.__dict__.clear()  # a thread that never reached Redis
    pool = store.client.connection_pool
    connects = []

    def refused(self, *args, **kwargs):
        connects.append(1)
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(pool.connection_class, "send_command", refused)
    with pytest.raises(cache.CacheUnavailable):
        cache.lookup_hit(TAGS, base)
    assert connects == [1]


def test_each_thread_has_a_connection_of_its_own(stored):
    base, response, _ = stored
    store = redis_store()
    cache.lookup_hit(TAGS, base)
    connections = [store._local.connection]
    answers: list[tuple[bytes | None, bytes | None]] = []

    def other_thread() -> None:
        answers.append(hit(TAGS, base))
        own = redis_store()  # Django's caches are per thread: so is the store, and its connection
        connections.append(own._local.connection)
        own._local.connection.disconnect()

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join(timeout=10)
    assert answers == [(response, None)]
    assert connections[0] is not connections[1]


def test_a_forked_process_never_uses_its_parents_connection(stored, monkeypatch):
    base, response, _ = stored
    store = redis_store()
    cache.lookup_hit(TAGS, base)
    parents = store._local.connection
    monkeypatch.setattr(cache.os, "getpid", lambda: store._local.pid + 1)
    assert hit(TAGS, base) == (response, None)
    assert store._local.connection is not parents
    store._local.connection.disconnect()


def test_what_needs_the_views_own_lookup_is_not_answered_here(stored, settings, monkeypatch):
    """Generations without WAL positions while there are replicas (the view's lookup replaces
    them), or an invalidation lost while Redis was down (the view's lookup recovers it first)."""
    base, response, state = stored
    settings.DATABASE_REPLICAS = ["replica"]
    assert hit(TAGS, base, VALUE_TAGS, "user:3") == (None, None)
    settings.DATABASE_REPLICAS = []
    assert hit(TAGS, base, VALUE_TAGS, "user:3") == (response, state)
    monkeypatch.setattr(cache, "_invalidation_lost", True)
    assert hit(TAGS, base, VALUE_TAGS, "user:3") == (None, None)
