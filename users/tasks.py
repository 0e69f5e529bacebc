"""Background work of the users app: sending password reset emails off the request path.

The response never waits for the account lookup or the email, so a known and an unknown address
are answered alike and in the same time. With a broker (`REDIS_URL`/`CELERY_BROKER_URL`) the task
goes to the Celery worker once the request's transaction commits, retried with backoff when SMTP
or the database fails. Without one (the bare-machine default, where Celery runs tasks eagerly,
inside the request) it runs on one background thread of the web process instead, because an eager
task would make the request for a known address slower than for an unknown one.

What the thread cannot promise: a task still queued when the process stops is lost (the user asks
for another email). The queue is bounded by the reset throttles (`THROTTLE_ACCOUNT` per IP and
per address). A task calls a service and holds no rules of its own.
"""

import logging
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connections, transaction

from users import services

logger = logging.getLogger(__name__)

_executor: Executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="users-tasks")


def _run(task: Callable[..., Any], kwargs: dict[str, Any]) -> None:
    close_old_connections()
    try:
        task(**kwargs)
    except Exception:
        logger.exception("background task %s failed", task.__name__)
    finally:
        connections.close_all()  # this thread's connections only


def run_after_commit(task: Callable[..., Any], /, **kwargs: Any) -> None:
    """Run `task(**kwargs)` on the background thread once the current transaction commits."""
    transaction.on_commit(lambda: _executor.submit(_run, task, kwargs))


def wait_for_tasks(timeout: float = 10) -> None:
    """Block until every task queued so far has run (the queue is first in, first out)."""
    marker: Future[None] = _executor.submit(lambda: None)
    marker.result(timeout=timeout)


@shared_task(autoretry_for=(DatabaseError, OSError), retry_backoff=10, retry_backoff_max=300, max_retries=5)
def password_reset_email(*, email: str) -> None:
    """Task: email a reset link to the active account with this address, if there is one."""
    services.password_reset_email_send(email=email)


def password_reset_email_later(*, email: str) -> None:
    """Queue `password_reset_email`; returns at once, whether or not the address is known."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        run_after_commit(password_reset_email, email=email)
    else:
        transaction.on_commit(lambda: password_reset_email.delay(email=email))
