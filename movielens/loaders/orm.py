"""Loading a release through the ORM, for SQLite (the zero-setup fallback) and other databases.

The same rules as `movielens.loaders.postgres`, written with batched `bulk_create` and
`bulk_update` and only for rows that differ from the source. Ratings are staged in a temporary
table, where repeated (user, movie) pairs are resolved, then merged a page at a time, so memory
stays bounded by the page size and the catalogue.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from django.contrib.auth.hashers import is_password_usable, make_password
from django.db import connection

from movielens.parsing import LinkRow, MovieRow, RatingRow
from movielens.progress import Progress
from movielens.summary import Tally
from movies.models import Movie
from ratings.models import SCORES, Rating
from users.models import IMPORTED_USERNAME_PREFIX, User

BATCH_SIZE = 500
PAGE_SIZE = 2_000
STAGE_BATCH_ROWS = 10_000

MovieGenre = Movie.genres.through


def _moment(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


class OrmLoader:
    """Writes a parsed release with the ORM, inside the caller's transaction."""

    def __init__(self, progress: Progress, now: datetime) -> None:
        self.progress = progress
        self.now = now

    def load_movies(self, movies: dict[int, MovieRow], links: dict[int, LinkRow], genre_ids: dict[str, int]) -> Tally:
        self.progress.show("writing movies", now=True)
        # The whole imported catalogue: an IN list of every id would pass SQLite's parameter limit.
        imported = Movie.objects.filter(movielens_id__isnull=False)
        existing = {movie.movielens_id: movie for movie in imported if movie.movielens_id in movies}
        genres_of: defaultdict[int, set[int]] = defaultdict(set)
        for movie_id, genre_id in MovieGenre.objects.filter(movie__in=imported).values_list("movie_id", "genre_id"):
            genres_of[movie_id].add(genre_id)

        new: list[tuple[Movie, set[int]]] = []
        changed: list[Movie] = []
        freed: list[int] = []
        removed: list[tuple[int, set[int]]] = []
        added: list[Any] = []
        for row in movies.values():
            link = links.get(row.movielens_id)
            genres = {genre_ids[name.lower()] for name in row.genres}
            movie = existing.get(row.movielens_id)
            if movie is None:
                imdb_id, tmdb_id = (link.imdb_id, link.tmdb_id) if link else (None, None)
                fields = {"title": row.title, "year": row.year, "imdb_id": imdb_id, "tmdb_id": tmdb_id}
                movie = Movie(movielens_id=row.movielens_id, created_at=self.now, updated_at=self.now, **fields)
                new.append((movie, genres))
                continue
            imdb_id, tmdb_id = (link.imdb_id, link.tmdb_id) if link else (movie.imdb_id, movie.tmdb_id)
            wanted = (row.title, row.year, imdb_id, tmdb_id)
            is_changed = (movie.title, movie.year, movie.imdb_id, movie.tmdb_id) != wanted
            if movie.imdb_id is not None and movie.imdb_id != imdb_id:
                freed.append(movie.pk)
            if genres != genres_of[movie.pk]:
                is_changed = True
                removed.append((movie.pk, genres_of[movie.pk] - genres))
                added.extend(MovieGenre(movie_id=movie.pk, genre_id=pk) for pk in genres - genres_of[movie.pk])
            if is_changed:
                movie.title, movie.year, movie.imdb_id, movie.tmdb_id = wanted
                movie.updated_at = self.now
                changed.append(movie)

        # IMDb ids moving between movies of the release are freed first: the unique index is
        # checked row by row, so a swap done in one statement would collide with itself.
        for start in range(0, len(freed), BATCH_SIZE):
            Movie.objects.filter(pk__in=freed[start : start + BATCH_SIZE]).update(imdb_id=None)
        Movie.objects.bulk_update(changed, ["title", "year", "imdb_id", "tmdb_id", "updated_at"], batch_size=BATCH_SIZE)
        for movie_id, genre_ids_gone in removed:
            if genre_ids_gone:
                MovieGenre.objects.filter(movie_id=movie_id, genre_id__in=genre_ids_gone).delete()
        Movie.objects.bulk_create([movie for movie, _ in new], batch_size=BATCH_SIZE)
        added.extend(MovieGenre(movie_id=movie.pk, genre_id=pk) for movie, genres in new for pk in genres)
        MovieGenre.objects.bulk_create(added, batch_size=BATCH_SIZE)
        return Tally(created=len(new), updated=len(changed), unchanged=len(movies) - len(new) - len(changed))

    def load_ratings(self, rows: Iterable[RatingRow]) -> tuple[Tally, Tally, int]:
        """Users and ratings from the good rows of ratings.csv; also how many rows a later one replaced."""
        with connection.cursor() as cursor:
            for table in ("import_rating", "import_final"):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(
                "CREATE TEMPORARY TABLE import_rating"
                " (line integer PRIMARY KEY, user_ml integer, movie_ml integer, half_stars integer, ts bigint)"
            )
            rows = iter(rows)
            while batch := list(islice(rows, STAGE_BATCH_ROWS)):
                cursor.executemany("INSERT INTO import_rating VALUES (%s, %s, %s, %s, %s)", batch)
            self.progress.show("writing users and ratings", now=True)
            # The later row of a repeated (user, movie) pair wins.
            cursor.execute(
                "CREATE TEMPORARY TABLE import_final AS"
                " SELECT user_ml, movie_ml, half_stars, ts FROM import_rating"
                " WHERE line IN (SELECT max(line) FROM import_rating GROUP BY user_ml, movie_ml)"
            )
            cursor.execute("CREATE INDEX import_final_pair ON import_final (user_ml, movie_ml)")
            cursor.execute("SELECT user_ml, min(ts) FROM import_rating GROUP BY user_ml ORDER BY user_ml")
            users, user_ids = self._users(cursor.fetchall())
            movie_ids = dict(Movie.objects.filter(movielens_id__isnull=False).values_list("movielens_id", "pk"))
            ratings = Tally()
            last = (0, 0)
            while True:
                cursor.execute(
                    "SELECT user_ml, movie_ml, half_stars, ts FROM import_final"
                    " WHERE (user_ml, movie_ml) > (%s, %s) ORDER BY user_ml, movie_ml LIMIT %s",
                    [*last, PAGE_SIZE],
                )
                page = cursor.fetchall()
                if not page:
                    break
                last = page[-1][0], page[-1][1]
                self._merge_ratings(
                    [
                        (user_ids[user], movie_ids[movie], half_stars, ts)
                        for user, movie, half_stars, ts in page
                        if user in user_ids
                    ],
                    ratings,
                )
            cursor.execute("SELECT (SELECT count(*) FROM import_rating) - (SELECT count(*) FROM import_final)")
            superseded = int(cursor.fetchone()[0])
            for table in ("import_rating", "import_final"):
                cursor.execute(f"DROP TABLE {table}")
        return users, ratings, superseded

    def _users(self, first_rated: list[tuple[int, int]]) -> tuple[Tally, dict[int, int]]:
        """The account id of each MovieLens user, creating the missing accounts."""
        taken = {
            username.lower(): (pk, not is_password_usable(password))
            for pk, username, password in User.objects.filter(
                username__istartswith=IMPORTED_USERNAME_PREFIX
            ).values_list("pk", "username", "password")
        }
        new = [
            User(
                username=f"{IMPORTED_USERNAME_PREFIX}{user}",
                email="",
                password=make_password(None),
                date_joined=_moment(timestamp),
            )
            for user, timestamp in first_rated
            if f"{IMPORTED_USERNAME_PREFIX}{user}" not in taken
        ]
        User.objects.bulk_create(new, batch_size=BATCH_SIZE)
        taken.update((user.username, (user.pk, True)) for user in new)
        # Only accounts the importer created (no usable password), never a signed-up account whatever
        # its name (SPEC section 9): a MovieLens user whose name such an account holds is skipped.
        ids = {user: taken[name][0] for user, _ in first_rated if taken[name := f"{IMPORTED_USERNAME_PREFIX}{user}"][1]}
        return Tally(created=len(new), unchanged=len(ids) - len(new), skipped=len(first_rated) - len(ids)), ids

    def _merge_ratings(self, page: list[tuple[int, int, int, int]], tally: Tally) -> None:
        stored = {
            (rating.user_id, rating.movie_id): rating
            for rating in Rating.objects.filter(
                user_id__in={user for user, *_ in page}, movie_id__in={movie for _, movie, *_ in page}
            ).only("user_id", "movie_id", "score", "rated_at", "updated_at")
        }
        new: list[Rating] = []
        changed: list[Rating] = []
        for user_id, movie_id, half_stars, ts in page:
            score, moment = SCORES[half_stars - 1], _moment(ts)
            rating = stored.get((user_id, movie_id))
            if rating is None:
                new.append(Rating(user_id=user_id, movie_id=movie_id, score=score, rated_at=moment, updated_at=moment))
            elif rating.score != score or rating.updated_at != moment or rating.rated_at > moment:
                # rated_at is when the user first rated the movie, so an update never moves it later.
                rating.score, rating.updated_at, rating.rated_at = score, moment, min(rating.rated_at, moment)
                changed.append(rating)
        Rating.objects.bulk_create(new, batch_size=BATCH_SIZE)
        Rating.objects.bulk_update(changed, ["score", "rated_at", "updated_at"], batch_size=BATCH_SIZE)
        tally.created += len(new)
        tally.updated += len(changed)
        tally.unchanged += len(page) - len(new) - len(changed)
