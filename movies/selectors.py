"""Reads of the catalogue: the querysets the API serves and the statistics they show.

Movie statistics come from the counters stored on each movie (`ratings_count`, `ratings_sum`);
only a movie's score distribution reads the ratings table, through the reverse relation.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import orjson
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection, connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Case, Count, DecimalField, Expression, F, QuerySet, Sum, TextField, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.db.models.sql.compiler import SQLCompiler
from django.http import Http404
from django.utils import timezone

from config.cache import CACHE_ERRORS, MOVIE_LISTS, lookup_value, store_value, warn_cache_unavailable
from config.db import PRIMARY
from config.domain import SCORE_TEXTS
from movies.models import CatalogueMean, Genre, Movie

logger = logging.getLogger(__name__)

# MovieLens' scale, as the keys of a distribution: "0.5", "1.0", ..., "5.0".
SCORE_KEYS = SCORE_TEXTS

# The value is `(C, expires_at)`: C and the wall-clock time its minute ends, so that a process
# keeping C in memory keeps it no longer than the cached value lives (`global_mean_rating`).
GLOBAL_MEAN_CACHE_KEY = "movies:global-mean:2"

# Wide enough for any quotient of the stored counters; SQL only orders by these values.
_STAT_FIELD = DecimalField(max_digits=30, decimal_places=20)


def compute_global_mean() -> Decimal | None:
    """C: the mean of every rating, from the counters on the movies table; None without ratings."""
    totals = Movie.objects.aggregate(total_sum=Sum("ratings_sum"), total_count=Sum("ratings_count"))
    if not totals["total_count"]:
        return None
    return Decimal(totals["total_sum"]) / totals["total_count"]


# C as this process last read or computed it, and the `time.monotonic()` until which it may be
# shown: `(C, until)`, or None. One tuple, replaced whole, so threads never see half of it.
_local_mean: tuple[Decimal | None, float] | None = None


def forget_local_global_mean() -> None:
    """Drop this process's copy of C (the next read asks the cache); tests call it with every
    cache clear."""
    global _local_mean
    _local_mean = None


def _keep_locally(mean: Decimal | None, expires_at: float) -> None:
    """Keep C in this process until the wall-clock `expires_at` (when its cached copy expires),
    never longer than the TTL from now (a clock set back must not stretch it)."""
    global _local_mean
    remaining = min(expires_at - time.time(), settings.RATING_GLOBAL_MEAN_TTL)
    if remaining > 0:
        _local_mean = (mean, time.monotonic() + remaining)


def global_mean_rating() -> Decimal | None:
    """C, reused for `RATING_GLOBAL_MEAN_TTL` seconds: one number for the whole catalogue.

    Each process keeps C in memory until its cached copy expires, so a request reads neither
    Redis nor the database for it; SPEC 6 lets C be up to a minute old, and it never is older than
    the TTL since it was computed. Two processes may show different C within that time (each
    copied it at a different moment): the same latitude.

    On PostgreSQL C is also stored (`CatalogueMean`) with every movie's weighted rating computed
    from it, so that top reads an index: each time the cached C expires, one worker recomputes
    it and rewrites the stored values (`refresh_catalogue_mean`), and shows the C the stored
    values use. When the cache is down, the stored C serves until it is older than the TTL.
    The value is cached in a tuple with its expiry, so that "no ratings yet" (None) is cached too.
    """
    local = _local_mean
    if local is not None and time.monotonic() < local[1]:
        return local[0]
    try:
        cached = cache.get(GLOBAL_MEAN_CACHE_KEY)
    except CACHE_ERRORS as exc:
        warn_cache_unavailable(exc)
        return stored_global_mean(refresh_if_older_than=settings.RATING_GLOBAL_MEAN_TTL)
    if cached is not None:
        mean, expires_at = cached
        _keep_locally(mean, expires_at)
        return mean
    if connection.vendor != "postgresql":
        mean, settled = compute_global_mean(), True
    else:
        mean, settled = refresh_catalogue_mean()
    if settled:  # a C that another worker is replacing right now is not cached
        ttl = settings.RATING_GLOBAL_MEAN_TTL
        expires_at = time.time() + ttl
        try:
            cache.set(GLOBAL_MEAN_CACHE_KEY, (mean, expires_at), timeout=ttl)
        except CACHE_ERRORS as exc:
            warn_cache_unavailable(exc)
        else:
            _keep_locally(mean, expires_at)
    return mean


# Taken for the duration of a refresh, so that one worker refreshes and the others read.
_REFRESH_LOCK_KEY = 0x6D6F76696573  # "movies"

# Every movie's weighted rating with the stored C, in the trigger's arithmetic (migration 0005);
# only the rows whose value changes are written.
_REWRITE_WEIGHTED_SQL = """
UPDATE movies_movie AS m SET weighted_rating = w.value
FROM (
    SELECT movie.id,
           CASE WHEN c.mean IS NULL THEN movie.ratings_sum / movie.ratings_count
                ELSE (movie.ratings_sum + c.prior * c.mean) / (movie.ratings_count + c.prior) END AS value
    FROM movies_movie AS movie, movies_cataloguemean AS c
    WHERE c.id = 1 AND movie.ratings_count > 0
) AS w
WHERE m.id = w.id AND m.weighted_rating IS DISTINCT FROM w.value::numeric(40, 30)
"""


def refresh_catalogue_mean() -> tuple[Decimal | None, bool]:
    """Recompute C, store it and rewrite every stored weighted rating with it (PostgreSQL).

    Returns `(C, settled)`: `settled` is False when another worker holds the refresh (then C
    is the stored one it is replacing) or when the rewrite could not run (a lock conflict:
    the stored C stays, and the next expiry tries again).
    """
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_REFRESH_LOCK_KEY])
                if not cursor.fetchone()[0]:
                    return stored_global_mean(), False
                mean = compute_global_mean()
                CatalogueMean.objects.update_or_create(
                    pk=1, defaults={"mean": mean, "prior": settings.RATING_PRIOR, "computed_at": timezone.now()}
                )
                cursor.execute(_REWRITE_WEIGHTED_SQL)
            return stored_global_mean(), True
    except DatabaseError as exc:
        logger.warning("weighted ratings: could not refresh C: %s", exc)
        return stored_global_mean(), False


def stored_global_mean(*, refresh_if_older_than: int | None = None) -> Decimal | None:
    """The C the stored weighted ratings use (computed on the spot where nothing is stored:
    SQLite); refreshed first when `refresh_if_older_than` seconds have passed since it was."""
    if connection.vendor != "postgresql":
        return compute_global_mean()
    row = CatalogueMean.objects.filter(pk=1).first()
    stale = row is None or row.prior != settings.RATING_PRIOR
    if refresh_if_older_than is not None and row is not None:
        stale = stale or (timezone.now() - row.computed_at).total_seconds() > refresh_if_older_than
    if stale and refresh_if_older_than is not None:
        return refresh_catalogue_mean()[0]
    return row.mean if row is not None else None


def weighted_rating(*, ratings_count: int, ratings_sum: Decimal, global_mean: Decimal | None) -> Decimal | None:
    """The exact Bayesian average `(sum + m·C) / (count + m)`; None without ratings.

    While C is not known yet (no ratings when it was last computed), the movie's own mean
    stands in for it, which makes the weighted rating equal to the mean.
    """
    if not ratings_count:
        return None
    prior = settings.RATING_PRIOR
    mean = global_mean if global_mean is not None else Decimal(ratings_sum) / ratings_count
    return (Decimal(ratings_sum) + prior * mean) / (ratings_count + prior)


def with_rating_annotations(queryset: QuerySet[Movie], *, global_mean: Decimal | None) -> QuerySet[Movie]:
    """Define the exact `average` and `weighted` values (NULL for unrated movies) for ordering.

    Aliases, not annotations: SQL computes them only when a query orders or filters by them,
    never as selected columns. What a response shows is computed once, in Python, by the
    serializers from the stored count and sum (`Movie.average_rating`, `weighted_rating()`).

    On PostgreSQL `weighted` is the stored, indexed column (kept with the stored C, which is
    the `global_mean` the caller got from `global_mean_rating`). Elsewhere the arithmetic is done
    on Decimals in SQL: `m·C` is computed in Python and sent as one parameter.
    """
    prior = settings.RATING_PRIOR
    average = F("ratings_sum") / F("ratings_count")
    if connection.vendor == "postgresql":
        return queryset.alias(
            average=Case(When(ratings_count=0, then=None), default=average, output_field=_STAT_FIELD),
            weighted=F("weighted_rating"),
        )
    if global_mean is None:
        weighted = average
    else:
        prior_mass = Value(prior * global_mean, output_field=_STAT_FIELD)
        weighted = (F("ratings_sum") + prior_mass) / (F("ratings_count") + Value(prior))
    return queryset.alias(
        average=Case(When(ratings_count=0, then=None), default=average, output_field=_STAT_FIELD),
        weighted=Case(When(ratings_count=0, then=None), default=weighted, output_field=_STAT_FIELD),
    )


def catalogue_queryset(*, global_mean: Decimal | None, sortable: bool = True) -> QuerySet[Movie]:
    """Movies in the default order, with the statistics defined for ordering unless `sortable` is
    False (a list in the default order: defining them costs more Python than reading the page).
    The API's list reads it as rows (`movie_rows`)."""
    queryset = Movie.objects.order_by("title", "id")
    return with_rating_annotations(queryset, global_mean=global_mean) if sortable else queryset


def movie_list_queryset(*, global_mean: Decimal | None) -> QuerySet[Movie]:
    """Movies with their genres prefetched and the statistics annotated, in the default order."""
    return catalogue_queryset(global_mean=global_mean).prefetch_related("genres")


def top_movies_ordered(*, queryset: QuerySet[Movie], global_mean: Decimal | None, min_ratings: int) -> QuerySet[Movie]:
    """Every movie with at least `min_ratings` ratings (at least 1), best weighted rating first;
    ties by count (more first), then title, then id."""
    queryset = queryset.filter(ratings_count__gte=max(min_ratings, 1))
    queryset = with_rating_annotations(queryset, global_mean=global_mean)
    if connection.vendor == "postgresql":  # the order of movies_movie_weighted_idx: top reads `limit` rows
        order = F("weighted_rating").desc(nulls_last=True)
        return queryset.order_by(order, F("ratings_count").desc(), "title", "id")
    return queryset.order_by(F("weighted").desc(nulls_last=True), "-ratings_count", "title", "id")


def top_movies(
    *, queryset: QuerySet[Movie], global_mean: Decimal | None, min_ratings: int, limit: int
) -> QuerySet[Movie]:
    """The best `limit` movies by weighted rating (`top_movies_ordered`), their genres prefetched."""
    ordered = top_movies_ordered(queryset=queryset, global_mean=global_mean, min_ratings=min_ratings)
    return ordered.prefetch_related("genres")[:limit]


# --- Rows: the API's read paths without model instances -------------------------------------
# A page of the list, a detail or the top list is read as `values()` rows in one query, each row
# with its genres (and on the detail its score distribution) from correlated subqueries that
# aggregate them as JSON text, and shown by plain functions
# (`movies.serializers.movie_representation`): no model instances, no prefetch machinery, no
# serializer fields. The DRF serializers stay the schema and serve the write responses.

# The columns a movie's representation is made from.
MOVIE_ROW_COLUMNS = (
    "id",
    "title",
    "year",
    "imdb_id",
    "tmdb_id",
    "ratings_count",
    "ratings_sum",
    "created_at",
    "updated_at",
)

# A genre as a row shows it: [slug, name].
GenreRef = Sequence[str]


class _RowAggregate(Expression):
    """A correlated subquery on the row's movie that aggregates pairs into JSON text, `[[a, b], ...]`,
    in a given order: PostgreSQL's `json_agg(... ORDER BY ...)`, SQLite's `json_group_array` over
    an ordered subquery (SQLite 3.40 has no ORDER BY inside an aggregate; it aggregates in the
    subquery's order). Unused by `count()`, which drops annotations it does not need."""

    output_field = TextField()

    def pairs_sql(self, movie: str, quote: Any) -> tuple[str, str]:
        """`SELECT a, b, k1, k2 FROM ... WHERE ... [GROUP BY ...]` for `movie`, and the order (of k1, k2)."""
        raise NotImplementedError

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, tuple[str | int, ...]]:
        quote = connection.ops.quote_name
        movie = f"{compiler.quote_name_unless_alias(compiler.query.get_initial_alias())}.{quote('id')}"
        rows, order = self.pairs_sql(movie, quote)
        if connection.vendor == "postgresql":
            pairs = f"json_agg(json_build_array(x.a, x.b) ORDER BY {order})"
            return f"(SELECT COALESCE({pairs}::text, '[]') FROM ({rows}) x)", ()
        return f"(SELECT json_group_array(json_array(x.a, x.b)) FROM ({rows} ORDER BY {order}) x)", ()


class GenrePairs(_RowAggregate):
    """The movie's genres as `[[slug, name], ...]` by name (the order Genre's default ordering gave
    the prefetch), then id."""

    def pairs_sql(self, movie: str, quote: Any) -> tuple[str, str]:
        links, genre = quote(Movie.genres.through._meta.db_table), quote(Genre._meta.db_table)
        rows = (
            f"SELECT g.slug AS a, g.name AS b, g.name AS k1, g.id AS k2 "
            f"FROM {links} l JOIN {genre} g ON g.id = l.genre_id WHERE l.movie_id = {movie}"
        )
        return rows, "k1, k2"


class ScoreCounts(_RowAggregate):
    """The movie's ratings counted per score, `[[score, count], ...]` (the (movie, score) index
    serves it); `score_distribution_from` makes the distribution of it."""

    def pairs_sql(self, movie: str, quote: Any) -> tuple[str, str]:
        ratings = quote(Movie._meta.get_field("ratings").related_model._meta.db_table)
        rows = (
            f"SELECT r.score AS a, COUNT(*) AS b, r.score AS k1 "
            f"FROM {ratings} r WHERE r.movie_id = {movie} GROUP BY r.score"
        )
        return rows, "k1"


def movie_rows(queryset: QuerySet[Movie], *, distribution: bool = False) -> QuerySet[Movie, dict[str, Any]]:
    """The queryset's movies as rows of `MOVIE_ROW_COLUMNS` and their genres' JSON (and the score
    counts' with `distribution`), in its order, not yet read: `shown_rows` finishes them."""
    expressions: dict[str, Any] = {"genre_pairs": GenrePairs()}
    if distribution:
        expressions["score_counts"] = ScoreCounts()
    return queryset.values(*MOVIE_ROW_COLUMNS, **expressions)


def shown_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Read rows of `movie_rows`, each with `genres` as (slug, name) pairs and, where the score
    counts were read, `distribution`."""
    shown = []
    for row in rows:  # orjson parses the database's JSON text as json does, in a third of the time
        row["genres"] = orjson.loads(row.pop("genre_pairs"))
        if "score_counts" in row:
            row["distribution"] = score_distribution_from(orjson.loads(row.pop("score_counts")))
        shown.append(row)
    return shown


class CompiledRows:
    """A `values()` queryset compiled to SQL once, then run as that plain SQL with new parameters:
    the same statement and the same rows as the queryset gives (its compiler's converters applied,
    e.g. SQLite's datetimes from text), without the ORM building and compiling it on every request.

    `build()` makes the queryset with `placeholders` as its parameter values: they must be the
    compiled statement's parameters, in order (checked when compiling), and each run passes its
    own in their place. `suffix` is SQL appended to the statement, with parameters of its own
    after those (LIMIT and OFFSET: Django writes a slice's bounds into the SQL). Compiled once per
    thread and database alias (a compiler holds its thread's connection).
    """

    def __init__(
        self, build: Callable[[], QuerySet[Any, Any]], *, placeholders: Sequence[Any] = (), suffix: str = ""
    ) -> None:
        self.build = build
        self.placeholders = tuple(placeholders)
        self.suffix = suffix
        self.compiled = threading.local()

    def statement(self, alias: str) -> tuple[str, list[str], SQLCompiler, dict[int, Any]]:
        """The SQL, the rows' keys, the compiler and its converters for the database `alias`."""
        by_alias: dict[str, Any] = self.compiled.__dict__.setdefault("by_alias", {})
        if alias not in by_alias:
            query = self.build().query
            compiler = query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
            if tuple(params) != self.placeholders:
                raise ValueError(f"compiled with parameters {params!r}, expected {self.placeholders!r}")
            names = [*query.extra_select, *query.values_select, *query.annotation_select]
            converters = compiler.get_converters([column for column, _, _ in compiler.select[: compiler.col_count]])
            by_alias[alias] = (sql + self.suffix, names, compiler, converters)
        statement: tuple[str, list[str], SQLCompiler, dict[int, Any]] = by_alias[alias]
        return statement

    def rows(self, params: Sequence[Any]) -> list[dict[str, Any]]:
        """Run it with `params` (the placeholders' values, then the suffix's) on the database the
        router reads movies from, and return its rows as `values()` dicts."""
        alias = router.db_for_read(Movie)
        sql, names, compiler, converters = self.statement(alias)
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, list(params) or None)
            fetched: Iterable[Any] = cursor.fetchall()
        if converters:
            fetched = compiler.apply_converters(fetched, converters)
        return [dict(zip(names, row, strict=True)) for row in fetched]


# Compiled with this id, replaced by the requested one on every run.
_ANY_ID = 0x7FFF_FFFE

# A movie's detail row: one statement, compiled once.
_MOVIE_DETAIL = CompiledRows(
    lambda: movie_rows(Movie.objects.all(), distribution=True).filter(pk=_ANY_ID), placeholders=[_ANY_ID]
)


def page_rows(queryset: QuerySet[Movie], *, offset: Any, limit: Any) -> QuerySet[Movie, dict[str, Any]]:
    """The rows of `movie_rows` for one page of the queryset (in its order): the page's ids are
    chosen first, in a subquery, and only their rows read with their genres. A plain slice of
    `movie_rows` would have the database compute the genres of every row the OFFSET skips too
    (PostgreSQL projects the skipped rows): 48 ms for page 200 of MovieLens' small catalogue,
    against 0.5 ms for page 1. `offset` and `limit` may be expressions (`RawSQL` parameters)."""
    if isinstance(offset, int) and isinstance(limit, int):
        ids: Any = queryset.values("pk")[offset : offset + limit]
    else:
        ids = offset  # a complete id subquery given by the caller
    return movie_rows(queryset.filter(pk__in=ids))


def _catalogue_page() -> QuerySet[Movie, dict[str, Any]]:
    """The list's page in its default order, unfiltered, with LIMIT and OFFSET as parameters (a
    slice would write them into the SQL)."""
    quote = connection.ops.quote_name
    ids = RawSQL(
        f"SELECT {quote('id')} FROM {quote(Movie._meta.db_table)} ORDER BY {quote('title')}, {quote('id')} "
        "LIMIT %s OFFSET %s",
        (_ANY_LIMIT, _ANY_OFFSET),
    )
    return page_rows(catalogue_queryset(global_mean=None, sortable=False), offset=ids, limit=None)


_ANY_LIMIT, _ANY_OFFSET = 0x7FFF_FFFD, 0x7FFF_FFFC

# A page of the list in its default order, unfiltered (the list without parameters).
_CATALOGUE_PAGE = CompiledRows(_catalogue_page, placeholders=[_ANY_LIMIT, _ANY_OFFSET])


def movie_row(movie_id: int) -> dict[str, Any]:
    """One movie as a row with its genres and score distribution (one precompiled statement);
    Http404 if there is no movie with this id."""
    rows = _MOVIE_DETAIL.rows([movie_id])
    if not rows:
        raise Http404("No movie with this id.")
    return shown_rows(rows)[0]


# More rows than any catalogue holds, and within the 64-bit integers both databases' LIMIT and
# OFFSET take: a page beyond it is past the end without asking.
_BEYOND_ANY_CATALOGUE = 2**62


class MovieListPage:
    """One page of the movie list, as DRF's paginator takes its object list: `count()` and a slice.

    The page's rows are read first, in one statement (precompiled when the list is unfiltered).
    The count the pagination shows is then known without counting whenever the page is not full
    (it is the rows before the page plus the page's), and an empty page past the first is a 404
    whatever the count; only a full page needs it, and reads it from the cache under the `movies`
    generation (the list's own tag: every write that can change a count bumps it), keyed by the
    parameters that can change it (the filters; not the page, its size or the ordering). A count
    the cache does not hold is counted on the primary (never a replica that may lag behind the
    generation the count is stored under) and stored.

    `offset` and `limit` are the page the request asks for (its page number and size as the
    paginator reads them); a slice the paginator asks for that is not within it is read as asked.
    """

    ordered = True  # in the list's order: the paginator need not warn

    def __init__(
        self,
        queryset: QuerySet[Movie],
        *,
        plain: bool,
        filters: Sequence[tuple[str, str]],
        offset: int,
        limit: int,
    ) -> None:
        self.queryset, self.plain, self.filters = queryset, plain, filters
        self.offset, self.limit = offset, limit
        self._window: list[dict[str, Any]] | None = None

    def window(self) -> list[dict[str, Any]]:
        """The rows of the requested page (not yet `shown_rows`), read once."""
        if self._window is None:
            self._window = self._read(self.offset, self.limit)
        return self._window

    def _read(self, offset: int, limit: int) -> list[dict[str, Any]]:
        if offset + limit > _BEYOND_ANY_CATALOGUE:
            return []  # past the end, and past what the databases' LIMIT and OFFSET take (a 404)
        if self.plain:
            return _CATALOGUE_PAGE.rows([limit, offset])
        return list(page_rows(self.queryset, offset=offset, limit=limit))

    def count(self) -> int:
        """How many movies the list has (exact), counted only when the page does not say."""
        rows = self.window()
        if not rows:
            # No rows: the list is empty (page 1), or the page is past the end, which is a 404
            # whatever the count. 0 makes the paginator say so for any page number (a count near
            # the offset would not: it computes the number of pages in floating point).
            return 0
        if len(rows) < self.limit:
            return self.offset + len(rows)  # a short page is the last: the rows before it and its own
        name = "movie-count?" + urlencode(self.filters)
        cached, slot = lookup_value([MOVIE_LISTS], name)
        if cached is not None:
            return int(cached)
        if slot is None:  # the cache did not answer: count where the list is read, store nothing
            return self.queryset.count()
        if slot.new_generations:
            # The generations do not exist yet: the response's own fill creates them once it is
            # rendered, and would not store the page if the count had created them first.
            return self.queryset.count()
        count = self.queryset.using(PRIMARY).count()
        store_value(slot, str(count).encode())
        return count

    def __getitem__(self, index: slice) -> list[dict[str, Any]]:
        start, stop = index.start or 0, index.stop
        if start == self.offset and stop is not None and stop - start <= self.limit:
            return self.window()[: stop - start]
        return self._read(start, (stop if stop is not None else start + self.limit) - start)


def top_movie_rows(
    *, queryset: QuerySet[Movie], global_mean: Decimal | None, min_ratings: int, limit: int
) -> list[dict[str, Any]]:
    """The rows of `top_movies`, with their genres: one query."""
    ordered = top_movies_ordered(queryset=queryset, global_mean=global_mean, min_ratings=min_ratings)
    return shown_rows(movie_rows(ordered)[:limit])


def score_distribution(movie: Movie) -> dict[str, int]:
    """How many ratings the movie has at each score, every score of the scale included.

    One grouped query through the reverse relation; the (movie, score) index serves it.
    """
    rows = movie.ratings.order_by().values_list("score").annotate(n=Count("pk"))
    return score_distribution_from(rows)


def score_distribution_from(score_counts: Iterable[Sequence[Any]]) -> dict[str, int]:
    """The distribution (every score of the scale, in order) from (score, count) pairs; a score
    may come as a Decimal or a JSON number (`4`, `4.0`, `4.5`)."""
    counts = {key: 0 for key in SCORE_KEYS}
    for score, n in score_counts:
        counts[f"{Decimal(str(score)):.1f}"] = n
    return counts


def genre_list_queryset() -> QuerySet[Genre]:
    """Genres with how many movies each has, alphabetically whatever the letter case."""
    return Genre.objects.annotate(movies_count=Count("movies")).order_by(Lower("name"), "id")
