"""`manage.py import_movielens SOURCE`: load a MovieLens release (folder, .zip or URL)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from movielens.importer import movielens_import
from movielens.parsing import BadRow
from movielens.progress import terminal_progress
from movielens.release import MAX_DOWNLOAD_BYTES, ImportFailed
from recommendations.tasks import rebuild_similarities_after_import


class Command(BaseCommand):
    help = (
        "Import a MovieLens 'latest' release (movies.csv, links.csv, ratings.csv) from a folder, a .zip or an "
        "https URL of a .zip. Running it again changes nothing; a newer release adds and updates what changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "source",
            help="a release folder, a .zip, or a URL such as "
            "https://files.grouplens.org/datasets/movielens/ml-latest-small.zip",
        )
        parser.add_argument(
            "--allow-http",
            action="store_true",
            help="accept a plain http URL (anyone on the way can alter it); redirects still go to https only",
        )
        parser.add_argument(
            "--max-download-mb",
            type=int,
            default=MAX_DOWNLOAD_BYTES // 10**6,
            help="refuse a download larger than this many megabytes (default %(default)s)",
        )

    def handle(self, *args: Any, source: str, allow_http: bool, max_download_mb: int, **options: Any) -> None:
        progress = terminal_progress(self)

        def report(row: BadRow) -> None:
            progress.clear()
            self.stderr.write(f"skipped {row}", style_func=self.style.WARNING)

        try:
            summary = movielens_import(
                source,
                progress=progress,
                on_bad_row=report,
                allow_http=allow_http,
                max_download_bytes=max_download_mb * 10**6,
            )
        except ImportFailed as error:
            progress.clear()
            raise CommandError(str(error)) from error
        self.stdout.write("\n".join(summary.lines()))
        if summary.changed:
            self.stdout.write(rebuild_similarities_after_import())
