"""A synthetic catalogue with MovieLens-like skew, for benchmarks (`manage.py generate_dataset`).

Deterministic for a seed. Popularity follows a Zipf-like law (weight `1 / (rank + 5)`), so a few
movies get far more ratings than most; user activity likewise (`1 / (rank + 10) ** 0.8`, at
least five ratings each when there are enough). Each user rates distinct movies, drawn by
popularity; a score is the movie's quality plus the user's leniency plus noise, rounded to
half stars (whole stars twice as often, as on MovieLens). Ratings are generated one user at a
time and streamed, so memory holds a few numbers per movie and per user, never the ratings.
"""

import bisect
import csv
import heapq
import math
import random
import secrets
from array import array
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from config.cache import ALL, invalidate_on_commit
from config.domain import SCORE_TEXTS
from movielens.genres import genres_ensure
from movielens.loaders import RATING_FIELDS, USER_FIELDS, columns
from movielens.loaders.postgres import ratings_indexes_rebuilt, ratings_table_is_empty
from movielens.progress import Progress
from movies.models import Movie
from ratings.models import SCORES, Rating
from ratings.services import StatisticsDrift, statistics_recompute
from users.models import User

SYNTHETIC_USERNAME_PREFIX = "synthetic-"
# The ORM path (SQLite) inserts through bulk_create; PostgreSQL's COPY has no such limit.
ORM_MAX_RATINGS = 200_000

GENRE_WEIGHTS = {
    "Drama": 25, "Comedy": 17, "Thriller": 9, "Action": 8, "Romance": 8, "Horror": 5, "Crime": 5,
    "Adventure": 5, "Sci-Fi": 4, "Documentary": 3, "Mystery": 3, "Fantasy": 3, "Children": 2,
    "Animation": 2, "War": 1, "Musical": 1, "Western": 1, "Film-Noir": 1, "IMAX": 1,
}  # fmt: skip
ADJECTIVES = (
    "Silent", "Crimson", "Last", "Hidden", "Broken", "Golden", "Midnight", "Lonely", "Electric", "Frozen",
    "Savage", "Quiet", "Burning", "Distant", "Wild", "Secret", "Endless", "Fallen", "Iron", "Velvet",
)  # fmt: skip
NOUNS = (
    "Harbor", "Protocol", "Garden", "Horizon", "Empire", "Letter", "Summer", "River", "Station", "Kingdom",
    "Witness", "Machine", "Dream", "Frontier", "Island", "Circus", "Shadow", "Voyage", "Orchard", "Signal",
)  # fmt: skip
PLACES = ("Paris", "the North", "Mars", "Tokyo", "the Valley", "Berlin", "the Deep", "Havana", "the Moon", "Rome")
SEQUELS = ("II", "III", "2", "Returns", "Reloaded")

POPULARITY_OFFSET = 5
ACTIVITY_OFFSET, ACTIVITY_EXPONENT = 10, 0.8
MIN_RATINGS_PER_USER = 5
FIRST_MOMENT = int(datetime(2000, 1, 1, tzinfo=UTC).timestamp())
LAST_MOMENT = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp()) - 1
MEAN_DAYS_RATING = 120 * 86_400  # how long after joining a user's ratings fall, on average
SYNTHETIC_IMDB_BASE = 90_000_000  # IMDb has not reached tt9xxxxxxx; CSV output only


@dataclass(frozen=True, slots=True)
class SyntheticMovie:
    number: int
    title: str
    year: int
    genres: tuple[str, ...]

    @property
    def movielens_title(self) -> str:
        """The title as MovieLens would write it: a leading "The" moved behind, then the year."""
        title = f"{self.title.removeprefix('The ')}, The" if self.title.startswith("The ") else self.title
        return f"{title} ({self.year})"


def _coprime_step(size: int) -> int:
    step = max(1, round(size * 0.618))
    while math.gcd(step, size) != 1:
        step += 1
    return step


class SyntheticDataset:
    """Movies, users and ratings of one seed; each stream can be read any number of times alike."""

    def __init__(self, *, movies: int, users: int, ratings: int, seed: int) -> None:
        if movies < 1 or users < 1 or ratings < 0:
            raise ValueError("needs at least one movie and one user, and no negative number of ratings")
        if ratings > movies * users:
            raise ValueError(f"{ratings:,} ratings need more movies or users: at most {movies * users:,} pairs exist")
        self.movies, self.users, self.ratings, self.seed = movies, users, ratings, seed
        self._movie_step, self._user_step = _coprime_step(movies), _coprime_step(users)

    # Popularity ranks map onto numbers by a fixed permutation, so movie 1 is not the most popular.
    def movie_number(self, rank: int) -> int:
        return (rank + 1) * self._movie_step % self.movies + 1

    def user_number(self, rank: int) -> int:
        return (rank + 1) * self._user_step % self.users + 1

    def movie_rows(self) -> Iterator[SyntheticMovie]:
        rng = random.Random(f"{self.seed}:movies")
        genres, weights = list(GENRE_WEIGHTS), list(GENRE_WEIGHTS.values())
        for number in range(1, self.movies + 1):
            title = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
            shape = rng.random()
            if shape < 0.3:
                title = f"The {title}"
            elif shape < 0.45:
                title = f"{rng.choice(NOUNS)} of {rng.choice(PLACES)}"
            elif shape < 0.5:
                title = f"{title} {rng.choice(SEQUELS)}"
            year = max(1920, 2023 - int(rng.expovariate(1 / 18)))
            picked = rng.choices(genres, weights, k=rng.choice((1, 1, 2, 2, 3)))
            yield SyntheticMovie(number, title, year, tuple(dict.fromkeys(picked)))

    def user_rows(self) -> Iterator[tuple[int, int]]:
        """(user number, Unix time the user joined), by activity rank."""
        rng = random.Random(f"{self.seed}:users")
        for rank in range(self.users):
            yield self.user_number(rank), rng.randrange(FIRST_MOMENT, LAST_MOMENT - 86_400)

    def _activity(self) -> Iterator[int]:
        """How many ratings each user gives, by activity rank: Zipf-like shares of the total, each within 0..movies."""
        users, movies = self.users, self.movies
        floor = min(MIN_RATINGS_PER_USER, self.ratings // users, movies)
        remaining, cap = self.ratings - floor * users, movies - floor
        weights_left = math.fsum((rank + ACTIVITY_OFFSET) ** -ACTIVITY_EXPONENT for rank in range(users))
        for rank in range(users):
            weight = (rank + ACTIVITY_OFFSET) ** -ACTIVITY_EXPONENT
            share = round(remaining * weight / weights_left) if weights_left > 0 else remaining
            # Never leave more than the remaining users can take.
            extra = max(min(share, cap, remaining), remaining - cap * (users - rank - 1))
            yield floor + extra
            remaining -= extra
            weights_left -= weight

    def rating_rows(self) -> Iterator[tuple[int, int, int, int]]:
        """(user number, movie number, score in half stars 1..10, Unix time), one user after another."""
        movies = self.movies
        rng = random.Random(f"{self.seed}:ratings")
        quality = array(
            "f", (min(4.6, max(1.2, rng.gauss(3.2, 0.5) + 0.5 * (1 - rank / movies))) for rank in range(movies))
        )
        cumulative = array("d")
        total = 0.0
        for rank in range(movies):
            total += 1 / (rank + POPULARITY_OFFSET)
            cumulative.append(total)
        for (user, joined), count in zip(self.user_rows(), self._activity(), strict=True):
            leniency = rng.gauss(0, 0.35)
            for rank in sorted(self._pick_movies(rng, count, cumulative)):
                raw = quality[rank] + leniency + rng.gauss(0, 0.8)
                half_stars = 2 * round(raw) if rng.random() < 0.65 else round(2 * raw)
                moment = min(LAST_MOMENT, joined + int(rng.expovariate(1 / MEAN_DAYS_RATING)))
                yield user, self.movie_number(rank), min(10, max(1, half_stars)), moment

    def _pick_movies(self, rng: random.Random, count: int, cumulative: array) -> set[int] | list[int]:
        """`count` distinct movie ranks drawn by popularity."""
        movies, total = self.movies, cumulative[-1]
        if count >= movies:
            return list(range(movies))
        if count * 3 <= movies:
            picked: set[int] = set()
            while len(picked) < count:
                picked.add(min(movies - 1, bisect.bisect_right(cumulative, rng.random() * total)))
            return picked
        # Heavy raters: weighted sampling without replacement (Efraimidis-Spirakis keys), as
        # redrawing until `count` distinct movies turn up would take ever longer.
        return heapq.nlargest(
            count, range(movies), key=lambda rank: math.log(1 - rng.random()) * (rank + POPULARITY_OFFSET)
        )


def write_csv(dataset: SyntheticDataset, folder: Path, progress: Progress) -> None:
    """Write the dataset as a MovieLens release (movies.csv, links.csv, ratings.csv) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    with (
        open(folder / "movies.csv", "w", encoding="utf-8", newline="") as movies_file,
        open(folder / "links.csv", "w", encoding="utf-8", newline="") as links_file,
    ):
        movies, links = csv.writer(movies_file, lineterminator="\n"), csv.writer(links_file, lineterminator="\n")
        movies.writerow(["movieId", "title", "genres"])
        links.writerow(["movieId", "imdbId", "tmdbId"])
        for movie in dataset.movie_rows():
            movies.writerow([movie.number, movie.movielens_title, "|".join(movie.genres)])
            links.writerow([movie.number, SYNTHETIC_IMDB_BASE + movie.number, ""])
    score_text = ["", *SCORE_TEXTS]
    with open(folder / "ratings.csv", "w", encoding="utf-8") as ratings_file:
        ratings_file.write("userId,movieId,rating,timestamp\n")
        rows = dataset.rating_rows()
        written = 0
        while batch := list(islice(rows, 50_000)):
            ratings_file.write("".join(f"{u},{m},{score_text[h]},{t}\n" for u, m, h, t in batch))
            written += len(batch)
            progress.show(f"ratings.csv: {written:,} of {dataset.ratings:,} ratings")
    progress.clear()


def dataset_load(dataset: SyntheticDataset, progress: Progress) -> StatisticsDrift:
    """Insert the dataset into the database in one transaction; statistics are exact when it returns."""
    now = datetime.now(tz=UTC)
    with transaction.atomic():
        genre_ids, _ = genres_ensure(GENRE_WEIGHTS)
        writer = _copy_dataset if connection.vendor == "postgresql" else _orm_dataset
        writer(dataset, genre_ids, now, progress)
        progress.show("recomputing statistics", now=True)
        drift = statistics_recompute()
        invalidate_on_commit(ALL)
    progress.clear()
    return drift


def _moment_text(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat(sep=" ")


def _reserve_ids(cursor: Any, table: str, count: int) -> array:
    """`count` ids from the table's own sequence, so rows can be copied with their ids."""
    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
    return array("q", (row[0] for row in cursor.fetchall()))


def _copy_dataset(dataset: SyntheticDataset, genre_ids: dict[str, int], now: datetime, progress: Progress) -> None:
    """PostgreSQL: COPY straight into the tables, ids taken from their sequences."""
    with connection.cursor() as cursor:
        movie_ids = _reserve_ids(cursor, Movie._meta.db_table, dataset.movies)
        user_ids = _reserve_ids(cursor, User._meta.db_table, dataset.users)
        progress.show("writing movies and users", now=True)
        with cursor.cursor.copy(
            "COPY movies_movie (id, title, year, ratings_count, ratings_sum, created_at, updated_at) FROM STDIN"
        ) as copy:
            for movie in dataset.movie_rows():
                copy.write_row((movie_ids[movie.number - 1], movie.title, movie.year, 0, 0, now, now))
        with cursor.cursor.copy("COPY movies_movie_genres (movie_id, genre_id) FROM STDIN") as copy:
            for movie in dataset.movie_rows():
                for genre in movie.genres:
                    copy.write_row((movie_ids[movie.number - 1], genre_ids[genre.lower()]))
        with cursor.cursor.copy(f"COPY {columns(User, ('id', *USER_FIELDS))} FROM STDIN") as copy:
            for number, joined in dataset.user_rows():
                username = f"{SYNTHETIC_USERNAME_PREFIX}{number}"
                # A password starting with "!" is Django's unusable password: nobody logs in as these.
                password = "!" + secrets.token_hex(20)
                joined_at = datetime.fromtimestamp(joined, tz=UTC)
                row = (user_ids[number - 1], password, False, username, "", "", "", False, True, joined_at, 0, 0)
                copy.write_row(row)
        score_text = ["", *SCORE_TEXTS]
        rows = dataset.rating_rows()
        written = 0
        with (
            ratings_indexes_rebuilt(cursor) if ratings_table_is_empty(cursor) else nullcontext(),
            cursor.cursor.copy(f"COPY {columns(Rating, RATING_FIELDS)} FROM STDIN") as copy,
        ):
            while batch := list(islice(rows, 20_000)):
                lines = []
                for user_number, movie_number, half_stars, timestamp in batch:
                    user_id, movie_id = user_ids[user_number - 1], movie_ids[movie_number - 1]
                    moment = _moment_text(timestamp)
                    lines.append(f"{user_id}\t{movie_id}\t{score_text[half_stars]}\t\t{moment}\t{moment}\n")
                copy.write("".join(lines))
                written += len(batch)
                progress.show(f"ratings: {written:,} of {dataset.ratings:,}")


def _orm_dataset(dataset: SyntheticDataset, genre_ids: dict[str, int], now: datetime, progress: Progress) -> None:
    """Other databases (SQLite): batched bulk_create."""
    movies = Movie.objects.bulk_create(
        (Movie(title=m.title, year=m.year, created_at=now, updated_at=now) for m in dataset.movie_rows()),
        batch_size=500,
    )
    movie_ids = array("q", (movie.pk for movie in movies))
    Movie.genres.through.objects.bulk_create(
        (
            Movie.genres.through(movie_id=movie_ids[m.number - 1], genre_id=genre_ids[genre.lower()])
            for m in dataset.movie_rows()
            for genre in m.genres
        ),
        batch_size=500,
    )
    users = User.objects.bulk_create(
        (
            User(
                username=f"{SYNTHETIC_USERNAME_PREFIX}{number}",
                email="",
                password=make_password(None),
                date_joined=datetime.fromtimestamp(joined, tz=UTC),
            )
            for number, joined in dataset.user_rows()
        ),
        batch_size=500,
    )
    user_ids = array("q", [0] * dataset.users)
    for user in users:
        user_ids[int(user.username.removeprefix(SYNTHETIC_USERNAME_PREFIX)) - 1] = user.pk
    rows = dataset.rating_rows()
    written = 0
    while batch := list(islice(rows, 5_000)):
        Rating.objects.bulk_create(
            (
                Rating(
                    user_id=user_ids[user - 1],
                    movie_id=movie_ids[movie - 1],
                    score=SCORES[half_stars - 1],
                    rated_at=(moment := datetime.fromtimestamp(timestamp, tz=UTC)),
                    updated_at=moment,
                )
                for user, movie, half_stars, timestamp in batch
            ),
            batch_size=500,
        )
        written += len(batch)
        progress.show(f"ratings: {written:,} of {dataset.ratings:,}")
