"""Cache access that degrades instead of failing when Redis is unreachable.

Redis errors are caught where the cache is used and logged as one warning per interval, not
one traceback per request; callers fall back to the database.
"""

import logging
import time

from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

logger = logging.getLogger("config.cache")

CACHE_ERRORS: tuple[type[Exception], ...] = (ConnectionInterrupted, RedisError, OSError)

_WARN_INTERVAL_SECONDS = 10.0
_last_warning = 0.0


def warn_cache_unavailable(exc: Exception) -> None:
    """Log that the cache is down, at most once per interval per process."""
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= _WARN_INTERVAL_SECONDS:
        _last_warning = now
        logger.warning("cache unavailable, serving from the database: %s", exc)
