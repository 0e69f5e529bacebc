"""The audit trail: who did what, to what, when and from where (SPEC section 16)."""

from typing import Any

from django.conf import settings
from django.db import models

from audit.actions import Action


class AuditEvent(models.Model):
    """One security-relevant event. Append-only: rows are written once and never changed.

    The actor is kept twice: as a foreign key (nulled if the account is deleted) and as the
    username at the time, so the trail still says who it was after the account is gone. The
    target is kept as type, id and a readable text for the same reason: it outlives its object.
    """

    action = models.CharField(max_length=64, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    target_type = models.CharField(max_length=100, blank=True)  # "movies.movie"
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=200, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["action", "-created_at"], name="audit_action_created_idx"),
            models.Index(fields=["actor_username"], name="audit_actor_username_idx"),
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
        ]

    def __str__(self) -> str:
        who = self.actor_username or "anonymous"
        what = f" {self.target_repr}" if self.target_repr else ""
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {who} {self.action}{what}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("Audit events are append-only: they cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit events are append-only: only audit_prune removes them, by age.")
