"""`manage.py generate_dataset`: a synthetic catalogue with MovieLens-like skew, for benchmarks."""

import argparse
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from movielens.progress import terminal_progress
from movielens.synthetic import (
    ORM_MAX_RATINGS,
    SYNTHETIC_USERNAME_PREFIX,
    SyntheticDataset,
    dataset_load,
    write_csv,
)
from users.models import User


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 0 or more")
    return value


class Command(BaseCommand):
    help = (
        "Generate a synthetic dataset (movies, users named synthetic-<n>, ratings) with Zipf-like popularity, "
        "deterministic for a seed. Writes to the database, or with --csv to a MovieLens-style folder."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--movies", type=_count, default=10_000, help="number of movies (default 10,000)")
        parser.add_argument("--users", type=_count, default=5_000, help="number of users (default 5,000)")
        parser.add_argument("--ratings", type=_count, default=100_000, help="number of ratings (default 100,000)")
        parser.add_argument("--seed", type=int, default=1, help="random seed: the same seed gives the same data")
        parser.add_argument(
            "--csv",
            metavar="FOLDER",
            type=Path,
            help="write movies.csv, links.csv and ratings.csv into FOLDER (for import_movielens), not the database",
        )

    def handle(self, *args: Any, movies: int, users: int, ratings: int, seed: int, csv: Path | None, **options: Any):
        try:
            dataset = SyntheticDataset(movies=movies, users=users, ratings=ratings, seed=seed)
        except ValueError as error:
            raise CommandError(str(error)) from error
        progress = terminal_progress(self)
        started = time.monotonic()
        shape = f"{movies:,} movies, {users:,} users and {ratings:,} ratings (seed {seed})"
        if csv is not None:
            write_csv(dataset, csv, progress)
            self.stdout.write(f"Wrote {shape} to {csv} in {time.monotonic() - started:.1f} s.")
            return
        if connection.vendor != "postgresql" and ratings > ORM_MAX_RATINGS:
            raise CommandError(
                f"{connection.vendor} takes at most {ORM_MAX_RATINGS:,} generated ratings: set DATABASE_URL to a "
                "PostgreSQL database for more, or write CSV files with --csv"
            )
        if User.objects.filter(username__istartswith=SYNTHETIC_USERNAME_PREFIX).exists():
            raise CommandError(
                f"the database already holds a synthetic dataset (users named {SYNTHETIC_USERNAME_PREFIX}<n>): "
                "generate into a fresh database, or empty this one with `manage.py flush`"
            )
        dataset_load(dataset, progress)
        self.stdout.write(f"Generated {shape} in {time.monotonic() - started:.1f} s.")
