"""Liveness and readiness probes (SPEC section 2, "Docs and operations").

`/health/live` answers whenever the process serves. `/health/ready` checks the database and the
cache: a dead database is a 503 (the service cannot work), a dead cache is a 200 "degraded"
(the service still answers from the database).
"""

import logging
import uuid

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.cache import CACHE_ERRORS

logger = logging.getLogger(__name__)


# The probe runs as often as an orchestrator likes: the header never_cache would compute, as text.
_NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"


# What JsonResponse({"status": "ok"}) writes, encoded once: the probe is the floor of every request.
_LIVE_BODY = b'{"status": "ok"}'


@require_GET
def live(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_LIVE_BODY, content_type="application/json")
    response["Cache-Control"] = _NEVER_CACHE
    return response


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("readiness: database unreachable: %s", exc)
        return "down"
    return "ok"


def cache_state() -> str:
    key = f"health:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=5)
        ok = cache.get(key) == "1"
        cache.delete(key)
    except CACHE_ERRORS as exc:
        logger.warning("readiness: cache unreachable: %s", exc)
        return "down"
    return "ok" if ok else "down"


@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    database, cache_ = database_state(), cache_state()
    if database == "down":
        status, http_status = "down", 503
    elif cache_ == "down":
        status, http_status = "degraded", 200
    else:
        status, http_status = "ok", 200
    return JsonResponse({"status": status, "database": database, "cache": cache_}, status=http_status)
