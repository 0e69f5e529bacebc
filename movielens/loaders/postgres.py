"""Loading a release on PostgreSQL: COPY into temporary tables, then a few set-based statements.

Every statement writes only the rows that differ from the source (`IS DISTINCT FROM`, `NOT
EXISTS`), so importing the same release again writes nothing, not even `updated_at`. The
temporary tables live in the import's transaction and are dropped when it ends.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime
from itertools import islice
from typing import Any

from django.db import connection

from movielens.loaders import RATING_FIELDS, USER_FIELDS, columns
from movielens.parsing import LinkRow, MovieRow, RatingRow
from movielens.progress import Progress
from movielens.summary import Tally
from ratings.models import Rating
from users.models import IMPORTED_USERNAME_PREFIX, User

COPY_BATCH_ROWS = 20_000
# Sorting and hashing a million staged ratings in memory instead of in temporary files.
WORK_MEM = "256MB"
# Loading at least this many ratings into an empty table rebuilds its indexes afterwards.
BULK_LOAD_MIN_ROWS = 50_000


def _temporary_table(cursor: Any, name: str, columns: str) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    cursor.execute(f"CREATE TEMPORARY TABLE {name} ({columns}) ON COMMIT DROP")


def _analyze(cursor: Any, table: str) -> None:
    """Refresh the planner's statistics of a table the import just filled or grew.

    Temporary tables are never analyzed by autovacuum, and regular ones not before the import
    commits: without fresh statistics the planner may take a table of a million rows for an
    empty one and join it row by row, turning seconds into hours.
    """
    cursor.execute(f"ANALYZE {table}")


def _count(cursor: Any, table: str) -> int:
    cursor.execute(f"SELECT count(*) FROM {table}")
    return int(cursor.fetchone()[0])


MOVIE_STATEMENTS = [
    # IMDb ids that move from one movie of the release to another are freed first: the unique
    # index is checked row by row, so a swap done in one statement would collide with itself.
    """
    WITH freed AS (
        UPDATE movies_movie m SET imdb_id = NULL
        FROM import_movie i
        WHERE m.movielens_id = i.movielens_id AND i.has_link AND m.imdb_id <> i.imdb_id
        RETURNING m.id
    )
    INSERT INTO import_changed_movie (id) SELECT id FROM freed
    """,
    # A movie without a links.csv row keeps the ids it has.
    """
    WITH wanted AS (
        SELECT m.id, i.title, i.year,
               CASE WHEN i.has_link THEN i.imdb_id ELSE m.imdb_id END AS imdb_id,
               CASE WHEN i.has_link THEN i.tmdb_id ELSE m.tmdb_id END AS tmdb_id
        FROM import_movie i JOIN movies_movie m ON m.movielens_id = i.movielens_id
    ), changed AS (
        UPDATE movies_movie m
        SET title = w.title, year = w.year, imdb_id = w.imdb_id, tmdb_id = w.tmdb_id, updated_at = %(now)s
        FROM wanted w
        WHERE m.id = w.id
          AND (m.title, m.year, m.imdb_id, m.tmdb_id) IS DISTINCT FROM (w.title, w.year, w.imdb_id, w.tmdb_id)
        RETURNING m.id
    )
    INSERT INTO import_changed_movie (id) SELECT id FROM changed ON CONFLICT DO NOTHING
    """,
    """
    WITH removed AS (
        DELETE FROM movies_movie_genres mg
        USING movies_movie m, import_movie i
        WHERE mg.movie_id = m.id AND m.movielens_id = i.movielens_id
          AND NOT EXISTS (
              SELECT 1 FROM import_movie_genre g WHERE g.movielens_id = i.movielens_id AND g.genre_id = mg.genre_id
          )
        RETURNING mg.movie_id
    )
    INSERT INTO import_changed_movie (id) SELECT DISTINCT movie_id FROM removed ON CONFLICT DO NOTHING
    """,
    # Runs before the new movies exist, so it only sees genres added to existing ones.
    """
    WITH added AS (
        INSERT INTO movies_movie_genres (movie_id, genre_id)
        SELECT m.id, g.genre_id FROM import_movie_genre g JOIN movies_movie m ON m.movielens_id = g.movielens_id
        ON CONFLICT (movie_id, genre_id) DO NOTHING
        RETURNING movie_id
    )
    INSERT INTO import_changed_movie (id) SELECT DISTINCT movie_id FROM added ON CONFLICT DO NOTHING
    """,
    """
    UPDATE movies_movie SET updated_at = %(now)s
    WHERE id IN (SELECT id FROM import_changed_movie) AND updated_at <> %(now)s
    """,
]

CREATE_MOVIES = """
    INSERT INTO movies_movie
        (title, year, imdb_id, tmdb_id, movielens_id, ratings_count, ratings_sum, created_at, updated_at)
    SELECT title, year, imdb_id, tmdb_id, movielens_id, 0, 0, %(now)s, %(now)s
    FROM import_movie i
    WHERE NOT EXISTS (SELECT 1 FROM movies_movie m WHERE m.movielens_id = i.movielens_id)
    ORDER BY line
"""

ADD_GENRES_OF_NEW_MOVIES = """
    INSERT INTO movies_movie_genres (movie_id, genre_id)
    SELECT m.id, g.genre_id FROM import_movie_genre g JOIN movies_movie m ON m.movielens_id = g.movielens_id
    ON CONFLICT (movie_id, genre_id) DO NOTHING
"""

# Accounts that cannot log in: a password starting with "!" is Django's unusable password.
CREATE_USERS = f"""
    INSERT INTO {columns(User, USER_FIELDS)}
    SELECT '!' || md5(random()::text || user_ml), false, %(prefix)s || user_ml, '', '', '', false,
           true, to_timestamp(first_rated), 0, 0
    FROM (SELECT user_ml, min(ts) AS first_rated FROM import_rating GROUP BY user_ml) s
    WHERE NOT EXISTS (SELECT 1 FROM users_user u WHERE lower(u.username) = %(prefix)s || s.user_ml)
    ORDER BY user_ml
"""

MAP_USERS = """
    CREATE TEMPORARY TABLE import_user ON COMMIT DROP AS
    SELECT s.user_ml, u.id AS user_id
    FROM (SELECT DISTINCT user_ml FROM import_rating) s
    JOIN users_user u ON lower(u.username) = %(prefix)s || s.user_ml
    -- Only accounts the importer created (no usable password): never a signed-up account,
    -- whatever its name (SPEC section 9). A MovieLens user whose name such an account holds is skipped.
    WHERE u.password LIKE '!%%'
"""

# The later row of a repeated (user, movie) pair wins.
FINAL_RATINGS = """
    CREATE TEMPORARY TABLE import_final ON COMMIT DROP AS
    SELECT DISTINCT ON (r.user_ml, r.movie_ml)
           u.user_id, m.id AS movie_id, (r.half_stars / 2.0)::numeric(2, 1) AS score, to_timestamp(r.ts) AS rated
    FROM import_rating r
    JOIN import_user u ON u.user_ml = r.user_ml
    JOIN movies_movie m ON m.movielens_id = r.movie_ml
    ORDER BY r.user_ml, r.movie_ml, r.line DESC
"""

# rated_at is when the user first rated the movie, so an update never moves it later.
UPDATE_RATINGS = """
    UPDATE ratings_rating t
    SET score = f.score, updated_at = f.rated, rated_at = LEAST(t.rated_at, f.rated)
    FROM import_final f
    WHERE t.user_id = f.user_id AND t.movie_id = f.movie_id
      AND (t.score <> f.score OR t.updated_at <> f.rated OR t.rated_at > f.rated)
"""

CREATE_RATINGS = f"""
    INSERT INTO {columns(Rating, RATING_FIELDS)}
    SELECT f.user_id, f.movie_id, f.score, '', f.rated, f.rated
    FROM import_final f
    WHERE NOT EXISTS (SELECT 1 FROM ratings_rating t WHERE t.user_id = f.user_id AND t.movie_id = f.movie_id)
"""


# What ratings_rating has beyond its primary key, each as (statement restoring it, statement dropping it).
RATINGS_EXTRAS = """
    SELECT format('ALTER TABLE ratings_rating ADD CONSTRAINT %I %s', conname, pg_get_constraintdef(oid)),
           format('ALTER TABLE ratings_rating DROP CONSTRAINT %I', conname)
    FROM pg_constraint
    WHERE conrelid = 'ratings_rating'::regclass AND contype IN ('f', 'u')
    UNION ALL
    SELECT pg_get_indexdef(i.indexrelid), format('DROP INDEX %s', i.indexrelid::regclass)
    FROM pg_index i
    WHERE i.indrelid = 'ratings_rating'::regclass AND NOT i.indisprimary
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
"""


@contextmanager
def ratings_indexes_rebuilt(cursor: Any) -> Iterator[None]:
    """Drop the secondary indexes, unique and foreign key constraints of ratings_rating, restore them on exit.

    Filling an empty table and then building each index in one sorted pass (and checking each
    foreign key with one join) is several times faster than maintaining them row by row, as
    pg_restore does. It locks the ratings table until the transaction ends, so it is only used
    when the table is empty. Everything is restored with the definitions read from the catalogue.
    """
    cursor.execute(f"SET LOCAL maintenance_work_mem = '{WORK_MEM}'")
    cursor.execute(RATINGS_EXTRAS)
    extras = cursor.fetchall()
    for _, drop in extras:
        cursor.execute(drop)
    yield
    for restore, _ in extras:
        cursor.execute(restore)


def ratings_table_is_empty(cursor: Any) -> bool:
    cursor.execute("SELECT NOT EXISTS (SELECT 1 FROM ratings_rating)")
    return bool(cursor.fetchone()[0])


class PostgresLoader:
    """Writes a parsed release with COPY and set-based statements, inside the caller's transaction."""

    def __init__(self, progress: Progress, now: datetime) -> None:
        self.progress = progress
        self.now = now

    def load_movies(self, movies: dict[int, MovieRow], links: dict[int, LinkRow], genre_ids: dict[str, int]) -> Tally:
        self.progress.show("writing movies", now=True)
        with connection.cursor() as cursor:
            _temporary_table(
                cursor,
                "import_movie",
                "line integer, movielens_id integer PRIMARY KEY, title varchar(500), year smallint,"
                " has_link boolean, imdb_id varchar(16), tmdb_id integer",
            )
            with cursor.cursor.copy("COPY import_movie FROM STDIN") as copy:
                for movie in movies.values():
                    link = links.get(movie.movielens_id)
                    imdb_id, tmdb_id = (link.imdb_id, link.tmdb_id) if link else (None, None)
                    copy.write_row(
                        (movie.line, movie.movielens_id, movie.title, movie.year, bool(link), imdb_id, tmdb_id)
                    )
            _temporary_table(cursor, "import_movie_genre", "movielens_id integer, genre_id bigint")
            with cursor.cursor.copy("COPY import_movie_genre FROM STDIN") as copy:
                for movie in movies.values():
                    for name in movie.genres:
                        copy.write_row((movie.movielens_id, genre_ids[name.lower()]))
            _temporary_table(cursor, "import_changed_movie", "id bigint PRIMARY KEY")
            _analyze(cursor, "import_movie")
            _analyze(cursor, "import_movie_genre")
            for statement in MOVIE_STATEMENTS:
                cursor.execute(statement, {"now": self.now})
            cursor.execute(CREATE_MOVIES, {"now": self.now})
            created = cursor.rowcount
            cursor.execute(ADD_GENRES_OF_NEW_MOVIES)
            updated = _count(cursor, "import_changed_movie")
            if created or updated:
                _analyze(cursor, "movies_movie")
            for table in ("import_movie", "import_movie_genre", "import_changed_movie"):
                cursor.execute(f"DROP TABLE {table}")
        return Tally(created=created, updated=updated, unchanged=len(movies) - created - updated)

    def load_ratings(self, rows: Iterable[RatingRow]) -> tuple[Tally, Tally, int]:
        """Users and ratings from the good rows of ratings.csv; also how many rows a later one replaced."""
        parameters = {"prefix": IMPORTED_USERNAME_PREFIX}
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            _temporary_table(
                cursor,
                "import_rating",
                "line integer, user_ml integer, movie_ml integer, half_stars smallint, ts bigint",
            )
            rows = iter(rows)
            with cursor.cursor.copy("COPY import_rating FROM STDIN") as copy:
                while batch := list(islice(rows, COPY_BATCH_ROWS)):
                    copy.write(
                        "".join(f"{line}\t{user}\t{movie}\t{stars}\t{ts}\n" for line, user, movie, stars, ts in batch)
                    )
            self.progress.show("writing users and ratings", now=True)
            _analyze(cursor, "import_rating")
            cursor.execute(CREATE_USERS, parameters)
            users_created = cursor.rowcount
            if users_created:
                _analyze(cursor, "users_user")
            cursor.execute("DROP TABLE IF EXISTS import_user")
            cursor.execute(MAP_USERS, parameters)
            _analyze(cursor, "import_user")
            mapped = _count(cursor, "import_user")
            cursor.execute("SELECT count(DISTINCT user_ml) FROM import_rating")
            users = Tally(
                created=users_created, unchanged=mapped - users_created, skipped=cursor.fetchone()[0] - mapped
            )
            cursor.execute("DROP TABLE IF EXISTS import_final")
            cursor.execute(FINAL_RATINGS)
            _analyze(cursor, "import_final")
            final, staged = _count(cursor, "import_final"), _count(cursor, "import_rating")
            cursor.execute(UPDATE_RATINGS)
            updated = cursor.rowcount
            bulk = final >= BULK_LOAD_MIN_ROWS and ratings_table_is_empty(cursor)
            with ratings_indexes_rebuilt(cursor) if bulk else nullcontext():
                cursor.execute(CREATE_RATINGS)
                created = cursor.rowcount
            if created or updated:
                _analyze(cursor, "ratings_rating")
            for table in ("import_rating", "import_user", "import_final"):
                cursor.execute(f"DROP TABLE {table}")
        ratings = Tally(created=created, updated=updated, unchanged=final - created - updated)
        return users, ratings, staged - final
