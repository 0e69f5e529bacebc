"""Delete audit events older than AUDIT_RETENTION_DAYS (or --days); run it daily."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.services import audit_prune


class Command(BaseCommand):
    help = "Delete audit events older than AUDIT_RETENTION_DAYS (default 365) or --days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="Keep this many days instead of the setting.")

    def handle(self, *args: Any, days: int | None, **options: Any) -> None:
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        deleted = audit_prune(older_than_days=days)
        self.stdout.write(f"Deleted {deleted} audit events.")
