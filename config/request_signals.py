"""Django's work at the start and end of every request, without the parts that do nothing here.

Django connects `close_caches` to `request_finished`: after each request it asks every cache
backend the thread has used to close. With this project's caches that closes nothing:
django-redis keeps its connection pool open unless `CLOSE_CONNECTION` (or the
`DJANGO_REDIS_CLOSE_CONNECTION` setting) asks otherwise, and Django's local-memory, database,
file and dummy backends have no `close` at all. It still walks the thread-local cache handler on
every request (about 10 µs, more than the whole `/health/live` view). `install()` (called from
`config.apps.ProjectConfig.ready`) leaves `close_caches` connected only when a configured cache
does close something per request, and checks again when the CACHES setting changes (tests).

Django also connects `reset_queries` to `request_started`: it empties each connection's log of
queries, which only fills under DEBUG (or while a test captures queries, which connects it again
itself). Without DEBUG it is disconnected; the log is bounded (9,000 entries) in any case.

Database connections are left to Django: `close_old_connections` still runs when each request
starts and ends, so CONN_MAX_AGE and CONN_HEALTH_CHECKS behave exactly as Django documents.
"""

from typing import Any

from django.conf import settings
from django.core.cache import close_caches
from django.core.cache.backends.base import BaseCache
from django.core.signals import request_finished, request_started, setting_changed
from django.db import reset_queries
from django.dispatch import receiver
from django.utils.module_loading import import_string


def closes_per_request(config: dict[str, Any]) -> bool:
    """Whether the cache of this CACHES entry does anything when Django closes it after a request."""
    backend = import_string(config["BACKEND"])
    if backend.close is BaseCache.close:
        return False
    try:
        from django_redis.cache import RedisCache
        from django_redis.client import DefaultClient
    except ImportError:  # pragma: no cover - django-redis is a dependency
        return True
    if not issubclass(backend, RedisCache) or backend.close is not RedisCache.close:
        return True
    options = config.get("OPTIONS", {})
    client = options.get("CLIENT_CLASS", "django_redis.client.DefaultClient")
    client_class = import_string(client) if isinstance(client, str) else client
    if client_class.close is not DefaultClient.close:
        return True
    return bool(options.get("CLOSE_CONNECTION", getattr(settings, "DJANGO_REDIS_CLOSE_CONNECTION", False)))


def install() -> None:
    """Connect Django's `close_caches` only if some cache needs it, `reset_queries` only under DEBUG."""
    request_finished.disconnect(close_caches)
    if any(closes_per_request(config) for config in settings.CACHES.values()):
        request_finished.connect(close_caches)
    request_started.disconnect(reset_queries)
    if settings.DEBUG:
        request_started.connect(reset_queries)


@receiver(setting_changed, dispatch_uid="request_signals_settings_changed")
def _settings_changed(setting: str, **kwargs: Any) -> None:
    if setting in ("CACHES", "DJANGO_REDIS_CLOSE_CONNECTION", "DEBUG"):
        install()
