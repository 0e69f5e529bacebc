"""`manage.py load_demo_data [--if-empty] [--with-accounts]`: the demo catalogue `make run` starts with."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from movielens.importer import movielens_import
from movielens.parsing import BadRow
from movielens.progress import terminal_progress
from movielens.release import ImportFailed
from movies.models import CURATORS_GROUP, Movie
from movies.services import curators_group_ensure
from recommendations.tasks import rebuild_similarities_after_import
from users.models import User

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
CURATOR = ("curator", "demo-curator-pass")
DEMO_USER = ("demo", "demo-user-pass")


class Command(BaseCommand):
    help = (
        "Load the demo catalogue shipped in movielens/demo/ (real movies, demo users and their ratings) through the "
        "MovieLens importer. With DEBUG on, or --with-accounts, also create the accounts curator/demo-curator-pass "
        "(staff in the Curators group) and demo/demo-user-pass."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="do nothing when any movie exists")
        parser.add_argument(
            "--with-accounts", action="store_true", help="create the demo accounts even when DEBUG is off"
        )

    def handle(self, *args: Any, if_empty: bool, with_accounts: bool, **options: Any) -> None:
        if if_empty and Movie.objects.exists():
            self.stdout.write("The catalogue already has movies: demo data not loaded.")
            return

        progress = terminal_progress(self)

        def report(row: BadRow) -> None:
            progress.clear()
            self.stderr.write(f"skipped {row}", style_func=self.style.WARNING)

        try:
            summary = movielens_import(str(DEMO_DIR), progress=progress, on_bad_row=report)
        except ImportFailed as error:
            raise CommandError(str(error)) from error
        self.stdout.write("\n".join(summary.lines()))
        if summary.changed:
            self.stdout.write(rebuild_similarities_after_import())
        if settings.DEBUG or with_accounts:
            for line in demo_accounts_ensure():
                self.stdout.write(line)


def demo_accounts_ensure() -> list[str]:
    """Create the demo curator and user unless an account of that name exists; describe what was created."""
    created = []
    with transaction.atomic():
        username, password = CURATOR
        if not User.objects.filter(username__iexact=username).exists():
            curator = User.objects.create_user(username, password=password, is_staff=True)
            # A member of the group a migration creates, like any real curator.
            curator.groups.add(curators_group_ensure())
            created.append(
                f"Demo curator: {username} / {password} (staff in the {CURATORS_GROUP} group: "
                "curates movies and genres in the API and the admin)"
            )
        username, password = DEMO_USER
        if not User.objects.filter(username__iexact=username).exists():
            User.objects.create_user(username, password=password)
            created.append(f"Demo user: {username} / {password}")
    return created
