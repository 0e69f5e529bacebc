"""Background work of the users app: sending password reset emails off the request path.

Until the project has its Celery app, a task runs on one worker thread of the web process, after
the request's transaction commits: the response does not wait for the lookup or the email, so a
known and an unknown address are answered alike and in the same time. A task calls a service and
holds no rules of its own; to move it to Celery, decorate `password_reset_email` with
`@shared_task` and make `password_reset_email_later` call `password_reset_email.delay(email=...)`.

What a thread cannot promise: a task still queued when the process stops is lost (the user asks
for another email). The queue is bounded by the reset throttles (`THROTTLE_ACCOUNT` per IP and
per address).
"""

import logging
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

from django.db import close_old_connections, connections, transaction

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


def password_reset_email(*, email: str) -> None:
    """Task: email a reset link to the active account with this address, if there is one."""
    services.password_reset_email_send(email=email)


def password_reset_email_later(*, email: str) -> None:
    """Queue `password_reset_email`; returns at once, whether or not the address is known."""
    run_after_commit(password_reset_email, email=email)
