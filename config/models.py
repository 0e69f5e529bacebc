"""Rate-limit counters, kept in the database rather than in the evictable cache (SPEC section 8).

The cache may be full (evicting) or down; the login, sign-up and admin-login limits must hold
anyway, so their counters live in PostgreSQL, one row per identity and time bucket, counted by
one atomic upsert per attempt (`config.api.throttling`).
"""

from django.db import models


class ThrottleCounter(models.Model):
    """How many attempts one identity (`scope:hash`) made in one time bucket of its rate."""

    ident = models.CharField(max_length=100)
    bucket = models.BigIntegerField(help_text="Index of the time bucket: epoch seconds // the rate's duration.")
    hits = models.IntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True, help_text="When the row is no longer needed (pruned after).")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ident", "bucket"], name="config_throttle_ident_bucket_unique")]

    def __str__(self) -> str:
        return f"{self.ident}@{self.bucket}: {self.hits}"
