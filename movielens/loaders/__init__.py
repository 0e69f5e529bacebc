"""Loaders write a parsed MovieLens release into the database, one per backend.

`loader_for()` picks the database's own: set-based SQL over COPY on PostgreSQL
(`loaders.postgres`), batched ORM writes everywhere else (`loaders.orm`). Both follow the same
rules and write only what differs from the source, so an import is idempotent.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from django.db import connection
from django.db.models import Model

from movielens.parsing import LinkRow, MovieRow, RatingRow
from movielens.progress import Progress
from movielens.summary import Tally

# Columns the bulk writers fill, by model field name; the SQL column lists are read from `_meta`.
USER_FIELDS = (
    "password", "is_superuser", "username", "first_name", "last_name", "email", "is_staff", "is_active",
    "date_joined", "ratings_count", "ratings_sum",
)  # fmt: skip
RATING_FIELDS = ("user", "movie", "score", "review", "rated_at", "updated_at")


def columns(model: type[Model], fields: Iterable[str]) -> str:
    """`table (column, ...)` for an INSERT or a COPY of `fields`, named as the model's `_meta` names them."""
    meta = model._meta
    names = [getattr(meta.get_field(name), "column", None) for name in fields]
    if None in names:
        raise ValueError(f"{model.__name__}: every field of a column list must have a column: {fields}")
    return f"{meta.db_table} ({', '.join(str(name) for name in names)})"


class Loader(Protocol):
    """Writes a parsed release inside the caller's transaction."""

    def load_movies(self, movies: dict[int, MovieRow], links: dict[int, LinkRow], genre_ids: dict[str, int]) -> Tally:
        """Create and update the release's movies and their genres; what changed."""
        ...

    def load_ratings(self, rows: Iterable[RatingRow]) -> tuple[Tally, Tally, int]:
        """Create the raters and write their ratings; (users, ratings, superseded repeated rows)."""
        ...


def loader_for(progress: Progress, now: datetime) -> Loader:
    """The database's own loader: PostgreSQL's set-based one, or the ORM one elsewhere."""
    from movielens.loaders.orm import OrmLoader
    from movielens.loaders.postgres import PostgresLoader

    return PostgresLoader(progress, now) if connection.vendor == "postgresql" else OrmLoader(progress, now)
