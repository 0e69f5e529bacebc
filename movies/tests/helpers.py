from typing import Any

from django.core.cache import cache

from movies.selectors import GLOBAL_MEAN_CACHE_KEY, forget_local_global_mean

V2 = "application/json; version=2"


def forget_global_mean() -> None:
    """Drop the cached catalogue mean (in Redis and in this process), as if its minute had passed."""
    cache.delete(GLOBAL_MEAN_CACHE_KEY)
    forget_local_global_mean()


def uncached_body(client: Any, url: str, params: dict[str, Any], accept: str) -> bytes:
    """The response's bytes, never from the response cache."""
    cache.clear()
    forget_local_global_mean()
    response = client.get(url, params, HTTP_ACCEPT=accept)
    assert response.status_code == 200, response.content
    return bytes(response.content)


def assert_same_bytes(
    client: Any, settings: Any, url: str, params: dict[str, Any], accept: str, *, reference: str
) -> bytes:
    """The real route's bytes are those of the `reference` URLconf's route at the same path (the
    serializer paths kept as an oracle by the byte-for-byte tests)."""
    real = settings.ROOT_URLCONF
    ours = uncached_body(client, url, params, accept)
    settings.ROOT_URLCONF = reference
    try:
        expected = uncached_body(client, url, params, accept)
    finally:
        settings.ROOT_URLCONF = real
    assert ours == expected
    return ours


def record_compilations(monkeypatch: Any) -> list[str]:
    """From now on, the name of each SQL compiler the ORM runs (`as_sql`), recorded in the list returned."""
    from django.db.models.sql.compiler import SQLCompiler

    compiled: list[str] = []
    real_as_sql = SQLCompiler.as_sql

    def counting_as_sql(self: Any, *args: Any, **kwargs: Any) -> Any:
        compiled.append(type(self).__name__)
        return real_as_sql(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting_as_sql)
    return compiled
