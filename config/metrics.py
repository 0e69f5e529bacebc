"""Prometheus metrics (SPEC section 16): what is recorded, and `/metrics`, which exposes it.

Recording is a few in-memory (or, under the server, mmap-file) increments per request. Under
bin/serve each worker writes its own files in `PROMETHEUS_MULTIPROC_DIR`, and `/metrics` sums
every worker's files, so the numbers are right whichever worker answers the scrape. The
directory is chosen, created, locked and emptied before the workers start by `config/server.py`
(no gauges here, so no dead worker needs marking: see docs/observability.md). Without the
variable (tests, `runserver`) the metrics live in the process.

Requests are labelled by the URL pattern that matched (`api/movies/<pk>/`), never the raw path,
so a crawler cannot create a series per URL; unmatched paths share the `<unmatched>` label.

`/metrics` is not public: it answers only `Authorization: Bearer <METRICS_TOKEN>` (compared in
constant time); otherwise, and always when `METRICS_TOKEN` is unset, it is a 404.
"""

import hmac
import os
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import connections
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

# Latency buckets around this service's targets: most reads in single milliseconds, writes in tens.
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "http_requests_total", "HTTP requests by route pattern, method and status.", ["route", "method", "status"]
)
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer, by route pattern and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
# A counter, not a histogram: divided by http_requests_total it gives queries per request per
# route, for one increment (and none for requests without queries).
DB_QUERIES = Counter("http_db_queries_total", "Database queries run by requests, by route pattern.", ["route"])
CACHE_LOOKUPS = Counter("cache_lookups_total", "Response cache lookups by result: hit, miss or error.", ["result"])
CACHE_ERRORS = Counter("cache_errors_total", "Cache (Redis) operations that failed; the service served without it.")
RATING_WRITES = Counter("rating_writes_total", "Committed rating writes by operation.", ["operation"])
THROTTLED = Counter("throttled_requests_total", "Requests refused by a throttle, by scope.", ["scope"])
TASKS = Counter("tasks_total", "Background task runs by task name and outcome.", ["task", "state"])
TASK_LATENCY = Histogram("task_duration_seconds", "Background task run time, by task name.", ["task"])

UNMATCHED = "<unmatched>"
# Any token is a valid HTTP method; others share one label so clients cannot add series.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
_route_labels: dict[str, str] = {}


def route_label(request: HttpRequest) -> str:
    """The pattern that matched, as `api/movies/<pk>/` for both `path()` and DRF's regex routes."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED
    route = match.route
    label = _route_labels.get(route)
    if label is None:
        label = _NAMED_GROUP.sub(r"<\1>", route).replace("^", "").replace("$", "").replace("\\", "")
        _route_labels[route] = label
    return label


class _QueryCount(threading.local):
    value = 0


_query_count = _QueryCount()


def _count_query(execute: Any, sql: Any, params: Any, many: Any, context: Any) -> Any:
    _query_count.value += 1
    return execute(sql, params, many, context)


@receiver(connection_created, dispatch_uid="metrics_count_queries")
def _install_query_counter(sender: Any, connection: Any, **kwargs: Any) -> None:
    # Once per database connection object, instead of entering `execute_wrapper` per request.
    if _count_query not in connection.execute_wrappers:
        connection.execute_wrappers.append(_count_query)


class MetricsMiddleware:
    """Counts and times every request, and counts its database queries. Place it first.

    The label children are looked up once per (route, method, status) and kept, so a request
    costs a dictionary lookup and three increments.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not settings.METRICS_ENABLED:
            raise MiddlewareNotUsed
        self.get_response = get_response
        for existing in connections.all():  # opened before this module was imported
            _install_query_counter(sender=None, connection=existing)
        self._children: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        _query_count.value = 0
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        method = request.method if request.method in KNOWN_METHODS else "other"
        key = (route_label(request), method, response.status_code)
        children = self._children.get(key)
        if children is None:
            route, method, status = key
            children = (
                REQUESTS.labels(route, method, str(status)),
                LATENCY.labels(route, method),
                DB_QUERIES.labels(route),
            )
            self._children[key] = children
        requests, latency, queries = children
        requests.inc()
        latency.observe(elapsed)
        if _query_count.value:
            queries.inc(_query_count.value)
        return response


def count_rating_write(operation: str) -> None:
    """Count a rating write once its transaction commits (`create`, `update` or `delete`)."""
    from django.db import transaction

    transaction.on_commit(lambda: RATING_WRITES.labels(operation).inc())


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Every worker's metrics in Prometheus' text format, for holders of METRICS_TOKEN."""
    token = settings.METRICS_TOKEN
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    # Without the token the endpoint does not exist, as far as the caller can tell: the same 404
    # whether METRICS_TOKEN is unset, the header missing or the token wrong.
    if not token or scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), token.encode()):
        raise Http404
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)


_task_started: dict[str, float] = {}


def connect_celery_signals() -> None:
    """Count task runs and failures, and time them, from Celery's signals (call where Celery is set up).

    In the worker, with prefork, set PROMETHEUS_MULTIPROC_DIR for the worker too and expose its
    files (docs/observability.md).
    """
    from celery import signals

    signals.task_prerun.connect(task_started, weak=False, dispatch_uid="metrics_task_started")
    signals.task_postrun.connect(task_finished, weak=False, dispatch_uid="metrics_task_finished")


def task_started(task_id: str, **kwargs: Any) -> None:
    _task_started[task_id] = time.perf_counter()


def task_finished(task_id: str, task: Any, state: str | None = None, **kwargs: Any) -> None:
    """`task_postrun`: one run of `task` ended in `state` (SUCCESS, FAILURE, RETRY, ...)."""
    began = _task_started.pop(task_id, None)
    if began is not None:
        TASK_LATENCY.labels(task.name).observe(time.perf_counter() - began)
    TASKS.labels(task.name, (state or "unknown").lower()).inc()
