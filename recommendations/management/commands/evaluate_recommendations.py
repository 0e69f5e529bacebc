"""`manage.py evaluate_recommendations`: hit rate at 10 of the model against popularity, offline."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommendations.evaluation import average, evaluate, ratings_from_csv
from recommendations.services import ratings_arrays


class Command(BaseCommand):
    help = (
        "Hold out one liked rating per user, build the model from the rest, and report the hit rate at 10 of the "
        "recommendations against the popularity baselines. Reads the ratings in the database, or with --movielens "
        "a release folder's ratings.csv (e.g. ml-latest-small)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--movielens", metavar="FOLDER", type=Path, help="read FOLDER/ratings.csv instead")
        parser.add_argument(
            "--seeds", type=int, default=5, help="repeat with this many hold-out draws and average (default 5)"
        )
        parser.add_argument(
            "--require-better",
            action="store_true",
            help="exit with an error unless the model beats both baselines",
        )

    def handle(self, *args: Any, movielens: Path | None, seeds: int, require_better: bool, **options: Any) -> None:
        if movielens is not None:
            if not (movielens / "ratings.csv").is_file():
                raise CommandError(f"{movielens} has no ratings.csv: give a MovieLens release folder")
            data, source = ratings_from_csv(movielens), str(movielens)
        else:
            data, source = ratings_arrays(), "the database"
        if len(data.scores) == 0:
            raise CommandError(f"no ratings in {source}: import some first (manage.py import_movielens)")
        if seeds < 1:
            raise CommandError("--seeds must be at least 1")
        self.stdout.write(f"Ratings from {source}: {len(data.scores):,}")
        results = []
        for seed in range(seeds):
            result = evaluate(data, seed=seed, prior=settings.RATING_PRIOR)
            results.append(result)
            self.stdout.write(f"seed {seed}: " + result.summary())
        mean = average(results)
        self.stdout.write("\n".join(mean.lines()))
        if require_better and mean.hit_rate_model <= max(mean.hit_rate_weighted, mean.hit_rate_most_rated):
            raise CommandError("the model does not beat the popularity baselines")
