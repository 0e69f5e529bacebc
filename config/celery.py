"""The Celery application: background work runs here, with Redis as the broker (SPEC section 14).

Loaded by `config/__init__.py` as Celery's Django guide says, configured from the `CELERY_*`
Django settings, and tasks discovered in each app's `tasks.py`. Without a broker (no `REDIS_URL`,
the bare-machine default) tasks run in-process (`task_always_eager`).

Request ids: a task queued while a request is served carries that request's id in its message
headers (`before_task_publish`), and the worker puts it in the log context while the task runs
(`task_prerun`/`task_postrun`), so the task's log lines name the request that caused them.

Other code observes task runs through Celery's own signals (`task_prerun`, `task_postrun`,
`task_success`, `task_retry`, `task_failure`): this module only connects the logging ones.
"""

import logging
import os
from contextvars import Token
from pathlib import Path
from typing import Any

from celery import Celery, signals
from celery.beat import PersistentScheduler

from config import tracing
from config.logging import request_id_var

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The queuing request's trace id in the task's log lines.
tracing.connect_celery_signals()


# Task runs and failures on /metrics. config.metrics is imported on first use, not here: this
# module is imported with the `config` package, which the server's launcher (config/server.py)
# imports before it has prepared the metrics directory.
@signals.task_prerun.connect(dispatch_uid="config.celery.metrics_started")
def _count_task_started(task_id: str, **kwargs: Any) -> None:
    from config import metrics

    metrics.task_started(task_id)


@signals.task_postrun.connect(dispatch_uid="config.celery.metrics_finished")
def _count_task_finished(task_id: str, task: Any, state: str | None = None, **kwargs: Any) -> None:
    from config import metrics

    metrics.task_finished(task_id, task=task, state=state)


@signals.worker_process_init.connect(dispatch_uid="config.celery.tracing")
def _configure_tracing(**kwargs: Any) -> None:
    """The OpenTelemetry SDK in each worker process, after the fork (a no-op without an endpoint)."""
    tracing.configure_tracing()


logger = logging.getLogger("config.celery")

REQUEST_ID_HEADER = "request_id"
_tokens: dict[str, Token[str]] = {}


@signals.before_task_publish.connect(dispatch_uid="config.celery.request_id_header")
def _add_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """Queue the current request's id with the task (unless the caller gave one)."""
    request_id = request_id_var.get()
    if headers is not None and request_id != "-":
        headers.setdefault(REQUEST_ID_HEADER, request_id)


@signals.task_prerun.connect(dispatch_uid="config.celery.request_id_context")
def _enter_request_context(task_id: str, task: Any, **kwargs: Any) -> None:
    request_id = getattr(task.request, REQUEST_ID_HEADER, None) or (task.request.headers or {}).get(REQUEST_ID_HEADER)
    if request_id:
        _tokens[task_id] = request_id_var.set(str(request_id))
    logger.info("task %s[%s] started", task.name, task_id)


@signals.task_postrun.connect(dispatch_uid="config.celery.request_id_context_exit")
def _leave_request_context(task_id: str, task: Any, state: str | None = None, **kwargs: Any) -> None:
    logger.info("task %s[%s] finished: %s", task.name, task_id, state)
    token = _tokens.pop(task_id, None)
    if token is not None:
        request_id_var.reset(token)


@signals.task_retry.connect(dispatch_uid="config.celery.log_retry")
def _log_retry(request: Any, reason: Any, **kwargs: Any) -> None:
    logger.warning("task %s[%s] will be retried: %s", request.task, request.id, reason)


@signals.task_failure.connect(dispatch_uid="config.celery.log_failure")
def _log_failure(task_id: str, exception: BaseException, sender: Any = None, **kwargs: Any) -> None:
    name = getattr(sender, "name", "?")
    logger.error("task %s[%s] failed: %r", name, task_id, exception, exc_info=exception)


class HeartbeatScheduler(PersistentScheduler):
    """celery beat's scheduler, touching a file on every tick so a health check can tell that
    beat's loop is alive (`python -m config.celery_health beat`)."""

    def tick(self, *args: Any, **kwargs: Any) -> float:
        interval: float = super().tick(*args, **kwargs)
        from django.conf import settings

        Path(settings.CELERY_BEAT_HEARTBEAT_FILE).touch()
        return interval
