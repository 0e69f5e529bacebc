"""`manage.py recompute_statistics`: rebuild every movie's and user's rating statistics from the rows."""

from typing import Any

from django.core.management.base import BaseCommand

from config.cache import ALL, invalidate
from ratings.services import statistics_recompute


class Command(BaseCommand):
    help = "Recompute rating statistics of movies and users from the ratings table and report any drift fixed."

    def handle(self, *args: Any, **options: Any) -> None:
        drift = statistics_recompute()
        if drift.movies or drift.users:
            invalidate(ALL)
            self.stdout.write(
                self.style.WARNING(f"Fixed drift: {drift.movies} movie(s) and {drift.users} user(s) were off.")
            )
        else:
            self.stdout.write(self.style.SUCCESS("No drift: every movie's and user's statistics match the ratings."))
