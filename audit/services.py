"""Writing and pruning the audit trail.

`audit_record` is the one way in. It writes in the caller's transaction, so an event exists if
and only if the change it records was committed (a failed login, which changes nothing, commits
on its own). Each event is also logged once, after commit, on the `audit` logger.
"""

import ipaddress
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from config.api.throttling import client_ip
from config.logging import request_id_var

logger = logging.getLogger("audit")

PRUNE_BATCH_SIZE = 5000
_FORBIDDEN_DETAIL_WORDS = ("password", "secret")


def client_address(request: Any) -> str | None:
    """The caller's IP as the throttles see it (REMOTE_ADDR, or X-Forwarded-For behind NUM_PROXIES).

    A value that is not an IP address (a forged header) is dropped rather than stored.
    """
    try:
        return str(ipaddress.ip_address(client_ip(request)))
    except ValueError:
        return None


def _request_user(request: Any) -> Any:
    # A DRF Request authenticates lazily; Django's HttpRequest has `user` from the middleware.
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _describe(target: models.Model) -> tuple[str, str, str]:
    meta = target._meta
    return f"{meta.app_label}.{meta.model_name}", "" if target.pk is None else str(target.pk), str(target)[:200]


def audit_record(
    *,
    action: str,
    request: HttpRequest | Any | None = None,
    actor: Any | None = None,
    target: models.Model | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record that `actor` (default: the request's user) did `action` to `target`.

    `action` is one of `audit.actions.Action`. Call it inside the transaction of the change,
    before a deletion (the target's id is gone afterwards). `details` must be JSON and must
    never hold a secret: keys naming a password or secret are refused. When there is no account
    (a failed login), `details["username"]` names the one tried; it is stored as the actor's name.
    """
    if action not in Action.values:
        raise ValueError(f"Unknown audit action {action!r}: add it to audit.actions.Action.")
    details = dict(details or {})
    if any(word in key.lower() for key in details for word in _FORBIDDEN_DETAIL_WORDS):
        raise ValueError("Audit details must not hold passwords or secrets.")
    if actor is None and request is not None:
        actor = _request_user(request)
    target_type, target_id, target_repr = _describe(target) if target is not None else ("", "", "")
    request_id = getattr(request, "id", None) or request_id_var.get()
    event = AuditEvent.objects.create(
        action=action,
        actor=actor if actor is not None and actor.pk is not None else None,
        actor_username=details.pop("username", None) or (actor.get_username() if actor is not None else ""),
        target_type=target_type,
        target_id=target_id,
        target_repr=target_repr,
        client_address=client_address(request) if request is not None else None,
        request_id="" if request_id == "-" else request_id,
        details=details,
    )
    transaction.on_commit(lambda: _log(event))
    return event


def _log(event: AuditEvent) -> None:
    logger.info(
        "audit %s by %s%s",
        event.action,
        event.actor_username or "anonymous",
        f" on {event.target_type}:{event.target_id}" if event.target_type else "",
        extra={
            "audit_id": event.pk,
            "action": event.action,
            "actor_id": event.actor_id,
            "actor_username": event.actor_username,
            "target_type": event.target_type,
            "target_id": event.target_id,
            "client_address": event.client_address,
            "details": event.details,
        },
    )


def audit_prune(*, older_than_days: int | None = None) -> int:
    """Delete events older than `older_than_days` (default AUDIT_RETENTION_DAYS); returns how many.

    In batches, each its own short transaction, so pruning a large backlog never holds long locks.
    """
    days = settings.AUDIT_RETENTION_DAYS if older_than_days is None else older_than_days
    if days < 1:
        raise ValueError("The retention must be at least one day.")
    cutoff = timezone.now() - timedelta(days=days)
    deleted = 0
    while True:
        batch = list(AuditEvent.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:PRUNE_BATCH_SIZE])
        if not batch:
            break
        deleted += AuditEvent.objects.filter(pk__in=batch).delete()[0]
        if len(batch) < PRUNE_BATCH_SIZE:
            break
    logger.info("audit pruned %d events older than %d days", deleted, days, extra={"deleted": deleted, "days": days})
    return deleted
