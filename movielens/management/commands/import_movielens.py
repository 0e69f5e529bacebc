"""`manage.py import_movielens SOURCE`: load a MovieLens release (folder, .zip or URL)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from movielens.importer import movielens_import
from movielens.parsing import BadRow
from movielens.progress import terminal_progress
from movielens.release import ImportFailed


class Command(BaseCommand):
    help = (
        "Import a MovieLens 'latest' release (movies.csv, links.csv, ratings.csv) from a folder, a .zip or an "
        "http(s) URL of a .zip. Running it again changes nothing; a newer release adds and updates what changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "source",
            help="a release folder, a .zip, or a URL such as "
            "https://files.grouplens.org/datasets/movielens/ml-latest-small.zip",
        )

    def handle(self, *args: Any, source: str, **options: Any) -> None:
        progress = terminal_progress(self)

        def report(row: BadRow) -> None:
            progress.clear()
            self.stderr.write(f"skipped {row}", style_func=self.style.WARNING)

        try:
            summary = movielens_import(source, progress=progress, on_bad_row=report)
        except ImportFailed as error:
            progress.clear()
            raise CommandError(str(error)) from error
        self.stdout.write("\n".join(summary.lines()))
