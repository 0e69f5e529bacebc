"""A full import of the shared MovieLens sample (settings.MOVIELENS_DIR), checked against the CSV files."""

import csv
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from django.conf import settings

from movielens.tests.test_import_support import run_import
from movies.models import Movie
from ratings.models import Rating
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def movielens_dir() -> Path:
    folder = Path(settings.MOVIELENS_DIR) if settings.MOVIELENS_DIR else None
    if folder is None or not (folder / "movies.csv").is_file():
        pytest.skip("set MOVIELENS_DIR to a MovieLens release folder (e.g. ../shared/data/movielens/ml-latest-small)")
    return folder


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def test_the_sample_imports_with_the_counts_and_averages_its_files_give(movielens_dir):
    movie_rows = read_csv(movielens_dir / "movies.csv")
    scores: dict[tuple[str, str], Decimal] = {}
    for row in read_csv(movielens_dir / "ratings.csv"):
        scores[(row["userId"], row["movieId"])] = Decimal(row["rating"])  # a later row replaces an earlier one
    per_movie = Counter(movie_id for _, movie_id in scores)

    out, err = run_import(movielens_dir)

    assert err == ""
    assert Movie.objects.count() == len(movie_rows)
    assert User.objects.filter(username__startswith="movielens-").count() == len({user for user, _ in scores})
    assert Rating.objects.count() == len(scores)
    sampled = [movie_id for movie_id, _ in per_movie.most_common(5)] + sorted(per_movie, key=int)[:3]
    for movie_id in sampled:
        movie_scores = [score for (_, rated), score in scores.items() if rated == movie_id]
        expected = (sum(movie_scores, Decimal(0)) / len(movie_scores)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        movie = Movie.objects.get(movielens_id=int(movie_id))
        assert (movie.ratings_count, movie.average_rating) == (len(movie_scores), expected), movie_id

    out, _ = run_import(movielens_dir)

    assert "Nothing changed: the database already holds this release." in out
