"""Background work of the audit trail: a task calls the service and holds no rules of its own."""

from celery import shared_task

from audit.services import audit_prune


@shared_task
def prune_audit_events() -> int:
    """Delete events older than AUDIT_RETENTION_DAYS; celery beat runs it daily."""
    return audit_prune()
