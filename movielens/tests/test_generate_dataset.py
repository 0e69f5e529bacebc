"""`manage.py generate_dataset`: a deterministic, skewed synthetic dataset for benchmarks."""

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum

from movielens import synthetic
from movielens.management.commands import generate_dataset
from movielens.synthetic import SyntheticDataset
from movielens.tests.test_import_support import run_import
from movies.models import Movie
from ratings.models import Rating
from users.models import User

pytestmark = pytest.mark.django_db


def generate(*args: str) -> str:
    out = StringIO()
    call_command("generate_dataset", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def share_of_top_tenth(counts: Counter) -> float:
    """The share of all ratings that the most rated tenth of the movies (or users) have."""
    top = counts.most_common(max(1, len(counts) // 10))
    return sum(count for _, count in top) / sum(counts.values())


def test_the_database_gets_the_movies_users_and_ratings_asked_for():
    out = generate("--movies", "60", "--users", "40", "--ratings", "900", "--seed", "3")

    assert out.startswith("Generated 60 movies, 40 users and 900 ratings (seed 3) in ")
    assert Movie.objects.count() == 60
    assert Rating.objects.count() == 900
    assert sorted(User.objects.values_list("username", flat=True)) == sorted(f"synthetic-{n}" for n in range(1, 41))
    assert not any(user.has_usable_password() for user in User.objects.all())
    assert not Movie.objects.filter(genres=None).exists()


@pytest.mark.parametrize("writer", ["native", "orm"])
def test_the_database_holds_exactly_the_stream_of_the_seed(writer, monkeypatch):
    if writer == "orm":
        monkeypatch.setattr(synthetic, "_copy_dataset", synthetic._orm_dataset)
    generate("--movies", "30", "--users", "20", "--ratings", "250", "--seed", "5")
    dataset = SyntheticDataset(movies=30, users=20, ratings=250, seed=5)
    titles = {movie.number: (movie.title, movie.year) for movie in dataset.movie_rows()}

    stored = Counter(
        (username, title, year, score, rated_at)
        for username, title, year, score, rated_at in Rating.objects.values_list(
            "user__username", "movie__title", "movie__year", "score", "rated_at"
        )
    )

    assert stored == Counter(
        (f"synthetic-{user}", *titles[movie], Decimal(half_stars) / 2, datetime.fromtimestamp(ts, tz=UTC))
        for user, movie, half_stars, ts in dataset.rating_rows()
    )


def test_statistics_are_exact_after_generating():
    generate("--movies", "40", "--users", "30", "--ratings", "500")

    for movie in Movie.objects.annotate(n=Count("ratings"), total=Sum("ratings__score")):
        assert (movie.ratings_count, movie.ratings_sum) == (movie.n, movie.total or 0)
    for user in User.objects.annotate(n=Count("ratings"), total=Sum("ratings__score")):
        assert (user.ratings_count, user.ratings_sum) == (user.n, user.total or 0)


def test_the_same_seed_writes_the_same_files_and_another_seed_other_ones(tmp_path):
    for folder, seed in (("a", "7"), ("b", "7"), ("c", "8")):
        generate("--movies", "50", "--users", "30", "--ratings", "600", "--seed", seed, "--csv", str(tmp_path / folder))

    for name in ("movies.csv", "links.csv", "ratings.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / "ratings.csv").read_bytes() != (tmp_path / "c" / "ratings.csv").read_bytes()


@pytest.mark.parametrize(
    ("movies", "users", "ratings"),
    [(500, 300, 20_000), (20, 10, 150), (20, 10, 200)],
    ids=["typical", "heavy raters", "every pair"],
)
def test_no_user_rates_a_movie_twice(movies, users, ratings):
    pairs = [
        (user, movie)
        for user, movie, _, _ in SyntheticDataset(movies=movies, users=users, ratings=ratings, seed=1).rating_rows()
    ]

    assert len(pairs) == ratings
    assert len(set(pairs)) == ratings
    assert {movie for _, movie in pairs} <= set(range(1, movies + 1))
    assert {user for user, _ in pairs} <= set(range(1, users + 1))


def test_some_movies_and_users_have_far_more_ratings_than_most():
    rows = list(SyntheticDataset(movies=500, users=300, ratings=20_000, seed=1).rating_rows())

    assert share_of_top_tenth(Counter(movie for _, movie, _, _ in rows)) > 0.3  # uniform would give 0.1
    assert share_of_top_tenth(Counter(user for user, _, _, _ in rows)) > 0.25


def test_scores_are_half_stars_spread_like_movielens():
    scores = Counter(
        half_stars
        for _, _, half_stars, _ in SyntheticDataset(movies=500, users=300, ratings=20_000, seed=1).rating_rows()
    )

    assert set(scores) == set(range(1, 11))
    mean = sum(half_stars * count for half_stars, count in scores.items()) / 2 / scores.total()
    assert 3.2 < mean < 3.8
    assert scores[8] > scores[7] and scores[6] > scores[5]  # whole stars are the usual choice
    assert scores.most_common(1)[0][0] in (6, 8)  # 3.0 or 4.0 stars


def test_generated_files_import_as_a_movielens_release(tmp_path):
    generate("--movies", "40", "--users", "25", "--ratings", "400", "--csv", str(tmp_path))

    out, err = run_import(tmp_path)

    assert err == ""
    assert "  ratings: 400 created, 0 updated, 0 unchanged" in out
    assert Movie.objects.filter(title__startswith="The ").exists()  # articles moved back to the front


def test_a_second_dataset_in_the_same_database_is_refused():
    generate("--movies", "5", "--users", "5", "--ratings", "10")

    with pytest.raises(CommandError, match="already holds a synthetic dataset"):
        generate("--movies", "5", "--users", "5", "--ratings", "10")


def test_more_ratings_than_user_and_movie_pairs_are_refused():
    with pytest.raises(CommandError, match="at most 12 pairs exist"):
        generate("--movies", "3", "--users", "4", "--ratings", "13")


@pytest.mark.parametrize("value", ["-1", "many"])
def test_sizes_that_are_not_whole_numbers_are_refused(value):
    with pytest.raises(CommandError, match=f"--movies: '{value}' is not a whole number of 0 or more"):
        generate("--movies", value)


def test_a_dataset_without_movies_is_refused():
    with pytest.raises(CommandError, match="needs at least one movie and one user"):
        generate("--movies", "0")


def test_big_datasets_need_postgresql(monkeypatch, uses_postgres):
    if uses_postgres:
        pytest.skip("the limit is for the ORM path (SQLite); PostgreSQL copies any size")
    monkeypatch.setattr(generate_dataset, "ORM_MAX_RATINGS", 100)

    with pytest.raises(CommandError, match="at most 100 generated ratings: set DATABASE_URL to a PostgreSQL database"):
        generate("--movies", "50", "--users", "50", "--ratings", "101")
