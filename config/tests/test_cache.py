import logging
import shutil
import socket
import subprocess
import time

import pytest
from django.core.cache import caches

from config import cache as response_cache
from config.cache import invalidate

pytestmark = [pytest.mark.urls("config.tests.urls"), pytest.mark.django_db]


def get(client, query="", **headers):
    return client.get(f"/api/counter/{query}", **headers)


def test_a_first_read_misses_and_the_second_hits(api_client):
    first, second = get(api_client), get(api_client)
    assert (first["X-Cache"], second["X-Cache"]) == ("MISS", "HIT")
    assert first.content == second.content
    assert first["ETag"] == second["ETag"]
    assert second["Content-Type"] == "application/json"


def test_cached_responses_must_be_revalidated_and_are_private(api_client):
    for response in (get(api_client), get(api_client)):
        assert response["Cache-Control"] == "private, no-cache"
        assert "Accept" in response["Vary"]


def test_parameter_order_and_blank_values_do_not_split_entries(api_client):
    get(api_client, "?a=1&b=2")
    assert get(api_client, "?b=2&a=1&c=")["X-Cache"] == "HIT"
    assert get(api_client, "?a=1&b=3")["X-Cache"] == "MISS"


def test_versions_are_cached_separately(api_client):
    v1 = get(api_client).json()
    v2 = get(api_client, HTTP_ACCEPT="application/json; version=2")
    assert v2["X-Cache"] == "MISS"
    assert v2.json()["version"] == "2"
    again = get(api_client, HTTP_ACCEPT="application/json; version=2")
    assert again["X-Cache"] == "HIT"
    assert again["API-Version"] == "2"
    assert get(api_client).json() == v1


def test_an_unsupported_version_is_refused_even_when_cached(api_client):
    get(api_client)
    assert get(api_client, HTTP_ACCEPT="application/json; version=9").status_code == 406


def test_if_none_match_gets_a_304_on_a_hit_and_a_miss(api_client):
    etag = get(api_client)["ETag"]
    hit = get(api_client, HTTP_IF_NONE_MATCH=etag)
    assert hit.status_code == 304
    assert hit["API-Version"] == "1"
    invalidate("counter")
    miss = get(api_client, HTTP_IF_NONE_MATCH=etag)
    assert miss.status_code == 200  # new content, new ETag


def test_invalidating_a_tag_makes_the_next_read_fresh(api_client):
    before = get(api_client).json()["calls"]
    invalidate("counter")
    after = get(api_client)
    assert after["X-Cache"] == "MISS"
    assert after.json()["calls"] == before + 1


def test_invalidating_everything_drops_every_entry(api_client):
    get(api_client)
    invalidate(response_cache.ALL)
    assert get(api_client)["X-Cache"] == "MISS"


@pytest.fixture
def throwaway_redis(settings):
    """A real Redis server of the test's own, pointed at by the default cache, to be stopped mid-test."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("needs redis-server installed (apt-get install redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""], stdout=subprocess.DEVNULL
    )
    for _ in range(50):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.25},
        }
    }
    caches._settings = caches.settings = caches.configure_settings(None)  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        server.kill()
        server.wait()
        del caches._settings  # type: ignore[attr-defined]


def test_with_redis_stopped_reads_are_served_from_the_view_with_one_warning(api_client, throwaway_redis, caplog):
    assert get(api_client)["X-Cache"] == "MISS"
    assert get(api_client)["X-Cache"] == "HIT"
    throwaway_redis.kill()
    throwaway_redis.wait()
    response_cache._last_warning = 0.0
    with caplog.at_level(logging.WARNING, logger="config.cache"):
        started = time.monotonic()
        responses = [get(api_client) for _ in range(5)]
        elapsed = time.monotonic() - started
    assert [r.status_code for r in responses] == [200] * 5
    assert {r["X-Cache"] for r in responses} == {"MISS"}
    warnings = [r for r in caplog.records if r.name == "config.cache"]
    assert len(warnings) == 1
    assert warnings[0].exc_info is None  # a warning line, not a traceback per request
    assert elapsed < 5 * 1.0  # each request costs at most the socket timeouts, never a hang


def test_an_invalidation_lost_while_redis_is_unreachable_drops_everything_when_it_answers(api_client, monkeypatch):
    from redis.exceptions import ConnectionError as RedisConnectionError

    get(api_client)
    assert get(api_client)["X-Cache"] == "HIT"
    store_class = type(response_cache.store())
    working = store_class.set_generations

    def unreachable(self, keys, position=None):
        raise RedisConnectionError("unreachable")

    monkeypatch.setattr(store_class, "set_generations", unreachable)
    invalidate("unrelated-tag")  # a write's invalidation, lost
    monkeypatch.setattr(store_class, "set_generations", working)
    assert get(api_client)["X-Cache"] == "MISS"  # everything was dropped once Redis answered
    assert get(api_client)["X-Cache"] == "HIT"


def test_entries_are_stored_as_rendered_bytes(api_client, monkeypatch):
    stored: list[bytes] = []
    encode = response_cache._encode_entry

    def spy(*args):
        stored.append(encode(*args))
        return stored[-1]

    monkeypatch.setattr(response_cache, "_encode_entry", spy)
    response = get(api_client)
    [entry] = stored
    assert isinstance(entry, bytes)
    assert response_cache._decode_entry(entry) == (200, "application/json", response["ETag"], response.content)
    assert get(api_client).content == response.content


def test_the_local_memory_fallback_caches_and_invalidates_too(api_client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    caches._settings = caches.settings = caches.configure_settings(None)  # type: ignore[attr-defined]
    try:
        assert isinstance(response_cache.store(), response_cache.DjangoCacheStore)
        assert [get(api_client)["X-Cache"], get(api_client)["X-Cache"]] == ["MISS", "HIT"]
        invalidate("counter")
        assert get(api_client)["X-Cache"] == "MISS"
    finally:
        del caches._settings  # type: ignore[attr-defined]
