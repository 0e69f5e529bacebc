"""Rating writes: the only code that changes ratings, keeping statistics exact.

Every write updates the rating row and the stored statistics of its movie (`ratings_count`,
`ratings_sum`) and of its user in one transaction. Locks are always taken in the same order,
users (by id) before movies (by id), so concurrent writers queue instead of deadlocking:

- `rating_upsert`/`rating_delete` lock the rater's user row first. That serialises one user's
  writes, which makes check-then-insert safe (two simultaneous PUTs by the same user on the same
  movie leave one row), and the movie row is then updated with an atomic `F()` expression.
- Removing many ratings at once (bulk delete, deleting a user or a movie) locks the affected
  users, then the affected movies, then subtracts their aggregates set-wise.
- Writing many ratings of one user at once (`ratings_bulk_upsert`, behind the ratings import)
  locks the user, then the movies (by id), then writes set-wise: one statement per phase, not
  one per rating, with the counters moved by the exact differences.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from config.cache import MOVIE_LISTS, invalidate_on_commit, movie_tag, user_tag
from config.metrics import count_rating_write
from movies.models import Movie
from ratings.models import Rating
from ratings.serializers import OWN_RATING_COLUMNS
from ratings.transfer import ImportFormat, ImportRow, match_rows, read_import_file
from users.models import User


def _lock_user(user_id: int) -> None:
    list(User.objects.select_for_update().filter(pk=user_id).values_list("pk", flat=True))


def _add_to_statistics(*, movie_id: int, user_id: int, count: int, total: Decimal) -> None:
    Movie.objects.filter(pk=movie_id).update(
        ratings_count=F("ratings_count") + count, ratings_sum=F("ratings_sum") + total
    )
    User.objects.filter(pk=user_id).update(
        ratings_count=F("ratings_count") + count, ratings_sum=F("ratings_sum") + total
    )


def _invalidate_caches_of(*, movie_id: int, username: str) -> None:
    """After commit: the movie, the movie lists and the rater's profile show this write.

    The one place a single rating write invalidates, for saves and deletes alike; the caller
    passes the username it already holds, so no query runs inside the locked transaction.
    """
    invalidate_on_commit(movie_tag(movie_id), MOVIE_LISTS, user_tag(username))


# One statement for a PUT on PostgreSQL, run while the rater's row is locked: read the existing
# rating, insert it or update it (only when something changed), add the change to the movie's and
# the user's counters (only when there is one), and return the movie and its statistics after the
# write for the response. The user lock (a statement before it) keeps the rule of the module: one
# user's writes are serialised, so the rating this statement reads is the one it replaces, and
# locks are taken users first, then movies. The movie's counters are updated with `x = x + d`,
# which PostgreSQL re-evaluates on the newest row version, so concurrent raters of one movie add up.
# No row comes back when the movie does not exist (and nothing is written).
_PUT_SQL = """
WITH movie AS (
    SELECT id, title, year, ratings_count, ratings_sum FROM movies_movie WHERE id = %(movie)s
), old AS (
    SELECT id, score, review, rated_at, updated_at FROM ratings_rating
    WHERE user_id = %(user)s AND movie_id = %(movie)s
), inserted AS (
    INSERT INTO ratings_rating (user_id, movie_id, score, review, rated_at, updated_at)
    SELECT %(user)s, movie.id, %(score)s, %(review)s, %(now)s, %(now)s FROM movie
    WHERE NOT EXISTS (SELECT 1 FROM old)
    RETURNING id
), updated AS (
    UPDATE ratings_rating AS r SET score = %(score)s, review = %(review)s, updated_at = %(now)s
    FROM old WHERE r.id = old.id AND (old.score <> %(score)s OR old.review <> %(review)s)
    RETURNING r.id
), change AS (
    SELECT (SELECT count(*) FROM inserted)::integer AS n,
           coalesce((SELECT %(score)s::numeric FROM inserted), (SELECT %(score)s::numeric - score FROM old), 0)
               AS d
), movie_statistics AS (
    UPDATE movies_movie AS m
    SET ratings_count = m.ratings_count + change.n, ratings_sum = m.ratings_sum + change.d
    FROM change WHERE m.id = %(movie)s AND (change.n <> 0 OR change.d <> 0)
    RETURNING m.ratings_count, m.ratings_sum
), user_statistics AS (
    UPDATE users_user AS u
    SET ratings_count = u.ratings_count + change.n, ratings_sum = u.ratings_sum + change.d
    FROM change WHERE u.id = %(user)s AND (change.n <> 0 OR change.d <> 0)
    RETURNING u.id
)
SELECT movie.id, movie.title, movie.year,
       coalesce(ms.ratings_count, movie.ratings_count), coalesce(ms.ratings_sum, movie.ratings_sum),
       coalesce(i.id, old.id), coalesce(old.rated_at, %(now)s),
       CASE WHEN i.id IS NULL AND u.id IS NULL THEN old.updated_at ELSE %(now)s END,
       i.id IS NOT NULL, i.id IS NOT NULL OR u.id IS NOT NULL
FROM movie
LEFT JOIN inserted AS i ON true
LEFT JOIN old ON true
LEFT JOIN updated AS u ON true
LEFT JOIN movie_statistics AS ms ON true
"""


# The rater's lock and `_PUT_SQL` in one message (PostgreSQL's simple query protocol). Each
# statement takes its own snapshot (READ COMMITTED), so `_PUT_SQL` reads the rating after the lock
# is held, as it does when the two are sent one by one.
_LOCK_USER_SQL = "SELECT id FROM users_user WHERE id = %(user)s FOR UPDATE"
_PUT_ROUND_TRIP = f"{_LOCK_USER_SQL};{_PUT_SQL}"  # _PUT_SQL starts on a new line


def _simple_queries() -> bool:
    """Whether the connection can send a message of several statements with parameters: this
    project's PostgreSQL backend gives a cursor that binds them on the client for it
    (config.postgresql), while the settings have the server bind every other statement's."""
    return hasattr(connection, "client_bound_cursor")


def _put_outcome(row: Any, *, user: User, movie_id: int) -> tuple[Any, ...] | None:
    """The movie's and the rating's values from `_PUT_SQL`'s row (None: no such movie); a write
    that changed something invalidates the caches it shows in (after commit) and is counted."""
    if row is None:
        return None
    _, title, year, count, total, _rating_id, rated_at, updated_at, created, changed = row
    if changed:
        _invalidate_caches_of(movie_id=movie_id, username=user.username)
        count_rating_write("create" if created else "update")
    return title, year, count, total, rated_at, updated_at, created


def rating_put(*, user: User, movie_id: int, score: Decimal, review: str) -> tuple[dict[str, Any], bool] | None:
    """Create or fully replace `user`'s rating of movie `movie_id`; `(rating, created)`, or None
    when there is no such movie. `rating` is a row of `ratings.serializers.OWN_RATING_COLUMNS`:
    the rating after the write, with its movie's statistics after the write.

    A write identical to the stored rating changes nothing, not even `updated_at`. On PostgreSQL
    this is two statements (the user lock, then `_PUT_SQL`) sent in one round trip (`_PUT_ROUND_TRIP`);
    elsewhere the ORM does the same steps.
    """
    if connection.vendor != "postgresql":
        movie = Movie.objects.filter(pk=movie_id).first()
        if movie is None:
            return None
        rating, created = rating_upsert(user=user, movie=movie, score=score, review=review)
        movie = Movie.objects.get(pk=movie_id)
        return (
            _own_rating_row(
                movie_id,
                movie.title,
                movie.year,
                movie.ratings_count,
                movie.ratings_sum,
                rating.score,
                rating.review,
                rating.rated_at,
                rating.updated_at,
            ),
            created,
        )
    now = timezone.now()
    params: dict[str, Any] = {"user": user.pk, "movie": movie_id, "score": score, "review": review, "now": now}
    if _simple_queries():
        # Both statements in one message: outside a transaction PostgreSQL runs them as one
        # implicit transaction (committed when the second ends, rolled back if either fails), so
        # no BEGIN or COMMIT round trip either. Inside the caller's transaction they join it.
        with connection.client_bound_cursor() as cursor:  # type: ignore[attr-defined]
            cursor.execute(_PUT_ROUND_TRIP, params)
            cursor.nextset()  # past the lock's row
            row = cursor.fetchone()
        outcome = _put_outcome(row, user=user, movie_id=movie_id)
    else:
        with transaction.atomic():
            _lock_user(user.pk)
            with connection.cursor() as cursor:
                cursor.execute(_PUT_SQL, params)
                row = cursor.fetchone()
            outcome = _put_outcome(row, user=user, movie_id=movie_id)
    if outcome is None:
        return None
    title, year, count, total, rated_at, updated_at, created = outcome
    return _own_rating_row(movie_id, title, year, count, total, score, review, rated_at, updated_at), created


def _own_rating_row(*values: Any) -> dict[str, Any]:
    """A row of `OWN_RATING_COLUMNS` from its values, in that order."""
    return dict(zip(OWN_RATING_COLUMNS, values, strict=True))


def rating_upsert(*, user: User, movie: Movie, score: Decimal, review: str) -> tuple[Rating, bool]:
    """Create or fully replace `user`'s rating of `movie`; returns `(rating, created)`.

    A write identical to the stored rating changes nothing, not even `updated_at`.
    """
    with transaction.atomic():
        _lock_user(user.pk)
        rating = Rating.objects.filter(user=user, movie=movie).first()
        now = timezone.now()
        if rating is None:
            rating = Rating.objects.create(
                user=user, movie=movie, score=score, review=review, rated_at=now, updated_at=now
            )
            _add_to_statistics(movie_id=movie.pk, user_id=user.pk, count=1, total=score)
            _invalidate_caches_of(movie_id=movie.pk, username=user.username)
            count_rating_write("create")
            return rating, True
        if rating.score == score and rating.review == review:
            return rating, False
        difference = score - rating.score
        rating.score, rating.review, rating.updated_at = score, review, now
        rating.save(update_fields=["score", "review", "updated_at"])
        if difference:
            _add_to_statistics(movie_id=movie.pk, user_id=user.pk, count=0, total=difference)
        _invalidate_caches_of(movie_id=movie.pk, username=user.username)
        count_rating_write("update")
        return rating, False


def rating_delete(*, rating: Rating) -> None:
    """Delete one rating and take it out of its movie's and user's statistics."""
    with transaction.atomic():
        _lock_user(rating.user_id)
        deleted, _ = Rating.objects.filter(pk=rating.pk).delete()
        if deleted:
            _add_to_statistics(movie_id=rating.movie_id, user_id=rating.user_id, count=-1, total=-rating.score)
            _invalidate_caches_of(movie_id=rating.movie_id, username=rating.user.username)
            count_rating_write("delete")


def ratings_subtract_from_statistics(ratings: QuerySet[Rating]) -> None:
    """Take `ratings` out of their movies' and users' statistics; call just before deleting them.

    Runs inside the caller's transaction (it opens one of its own if there is none).
    """
    with transaction.atomic():
        user_ids = sorted(set(ratings.values_list("user_id", flat=True)))
        movie_ids = sorted(set(ratings.values_list("movie_id", flat=True)))
        if not user_ids:
            return
        list(User.objects.select_for_update().filter(pk__in=user_ids).order_by("pk").values_list("pk", flat=True))
        list(Movie.objects.select_for_update().filter(pk__in=movie_ids).order_by("pk").values_list("pk", flat=True))
        for model, key in ((User, "user"), (Movie, "movie")):
            group = ratings.filter(**{key: OuterRef("pk")}).order_by().values(key)
            count = Subquery(group.annotate(n=Count("pk")).values("n"), output_field=IntegerField())
            total = Subquery(group.annotate(s=Sum("score")).values("s"), output_field=DecimalField())
            ids = user_ids if model is User else movie_ids
            model.objects.filter(pk__in=ids).update(
                ratings_count=F("ratings_count") - count, ratings_sum=F("ratings_sum") - total
            )


def ratings_delete(ratings: QuerySet[Rating]) -> int:
    """Delete many ratings (the admin's bulk delete) keeping statistics exact; returns how many."""
    with transaction.atomic():
        ratings_subtract_from_statistics(ratings)
        invalidate_rating_caches(ratings)
        deleted, _ = ratings.delete()
        return deleted


def invalidate_rating_caches(ratings: QuerySet[Rating]) -> None:
    """After commit, refresh every cached view that shows `ratings`."""
    rows = ratings.values_list("movie_id", "user__username").distinct()
    tags = {MOVIE_LISTS}
    for movie_id, username in rows:
        tags.update({movie_tag(movie_id), user_tag(username)})
    invalidate_on_commit(*tags)


@dataclass(frozen=True)
class StatisticsDrift:
    """How many movies and users had statistics that disagreed with their rating rows."""

    movies: int
    users: int


def statistics_recompute() -> StatisticsDrift:
    """Recompute every movie's and user's statistics from the rating rows; report the drift fixed.

    Set-based: one grouped pass per table, writing only the rows that disagree.
    """
    drift = {}
    with transaction.atomic():
        for model, key in ((Movie, "movie"), (User, "user")):
            group = Rating.objects.filter(**{key: OuterRef("pk")}).order_by().values(key)
            count = Coalesce(Subquery(group.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), Value(0))
            total = Coalesce(
                Subquery(group.annotate(s=Sum("score")).values("s"), output_field=DecimalField()),
                Value(Decimal(0)),
                output_field=DecimalField(),
            )
            wrong = model.objects.annotate(true_count=count, true_sum=total).filter(
                ~Q(ratings_count=F("true_count")) | ~Q(ratings_sum=F("true_sum"))
            )
            ids = list(wrong.values_list("pk", flat=True))
            for start in range(0, len(ids), 5000):
                model.objects.filter(pk__in=ids[start : start + 5000]).update(ratings_count=count, ratings_sum=total)
            drift[key] = len(ids)
    return StatisticsDrift(movies=drift["movie"], users=drift["user"])


# --- Many ratings of one user at once (the ratings import) ---------------------------------


@dataclass(frozen=True, slots=True)
class RatingWrite:
    """One rating to write in bulk; `review=None` keeps a held review (a new rating gets none)."""

    movie_id: int
    score: Decimal
    review: str | None
    rated_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class BulkUpsertResult:
    created: int
    updated: int
    unchanged: int
    missing_movie_ids: frozenset[int] = frozenset()  # movies deleted meanwhile: nothing written for them


_OTHER_BATCH = 500  # not PostgreSQL (SQLite in development): batches, for CASE and bound-variable limits


def _locked_movie_ids(movie_ids: list[int]) -> set[int]:
    """Lock the movies (by id, after the user) so counters and cascades queue behind us; returns those that exist."""
    found: set[int] = set()
    size = len(movie_ids) if connection.vendor == "postgresql" else 30_000
    for start in range(0, len(movie_ids), size or 1):
        chunk = movie_ids[start : start + size]
        locked = Movie.objects.select_for_update(no_key=True).filter(pk__in=chunk).order_by("pk")
        found.update(locked.values_list("pk", flat=True))
    return found


def _insert_ratings(user: User, ratings: list[Rating]) -> None:
    """Insert new rating rows (none of them held: the user is locked and their ratings were read)."""
    if not ratings:
        return
    if connection.vendor == "postgresql":
        # One INSERT over arrays: no per-row SQL to build or parameters to bind.
        table = connection.ops.quote_name(Rating._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (user_id, movie_id, score, review, rated_at, updated_at) "
                "SELECT %s, movie_id, score, review, rated_at, updated_at FROM unnest("
                "%s::bigint[], %s::numeric[], %s::text[], %s::timestamptz[], %s::timestamptz[]"
                ") AS v(movie_id, score, review, rated_at, updated_at)",
                [
                    user.pk,
                    [rating.movie_id for rating in ratings],
                    [rating.score for rating in ratings],
                    [rating.review for rating in ratings],
                    [rating.rated_at for rating in ratings],
                    [rating.updated_at for rating in ratings],
                ],
            )
        return
    Rating.objects.bulk_create(ratings, batch_size=_OTHER_BATCH)


def _update_ratings(rows: list[tuple[int, Decimal, str, datetime]]) -> None:
    """Set (score, review, updated_at) of the rating rows with these ids."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Rating._meta.db_table)
        ids, scores, reviews, moments = (list(column) for column in zip(*rows, strict=True))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS r SET score = v.score, review = v.review, updated_at = v.updated_at "
                "FROM unnest(%s::bigint[], %s::numeric[], %s::text[], %s::timestamptz[]) "
                "AS v(id, score, review, updated_at) WHERE r.id = v.id",
                [ids, scores, reviews, moments],
            )
        return
    ratings = [Rating(pk=pk, score=score, review=review, updated_at=moment) for pk, score, review, moment in rows]
    Rating.objects.bulk_update(ratings, ["score", "review", "updated_at"], batch_size=_OTHER_BATCH)


def _lock_movies_and_move_counters(deltas: dict[int, tuple[int, Decimal]]) -> set[int]:
    """Lock the movies (by id) and move each one's count and sum by its delta; returns those that exist.

    On PostgreSQL one statement: a materialised CTE locks the rows in id order (the order every
    writer uses, so two imports, or an import and a cascade, queue instead of deadlocking), and
    the UPDATE over the same arrays moves the counters. Elsewhere, a locking read, then batches.
    """
    if not deltas:
        return set()
    ids = sorted(deltas)
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Movie._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                "WITH d AS MATERIALIZED ("
                "SELECT * FROM unnest(%s::bigint[], %s::integer[], %s::numeric[]) AS d(id, count, total)), "
                f"locked AS MATERIALIZED (SELECT id FROM {table} WHERE id IN (SELECT id FROM d) "
                "ORDER BY id FOR NO KEY UPDATE) "
                f"UPDATE {table} AS m SET ratings_count = m.ratings_count + d.count, "
                "ratings_sum = m.ratings_sum + d.total FROM d JOIN locked USING (id) WHERE m.id = d.id RETURNING m.id",
                [ids, [deltas[pk][0] for pk in ids], [deltas[pk][1] for pk in ids]],
            )
            return {pk for (pk,) in cursor.fetchall()}
    existing = _locked_movie_ids(ids)
    present = [pk for pk in ids if pk in existing]
    for start in range(0, len(present), _OTHER_BATCH):
        chunk = present[start : start + _OTHER_BATCH]
        count = Case(*(When(pk=pk, then=Value(deltas[pk][0])) for pk in chunk), output_field=IntegerField())
        total = Case(*(When(pk=pk, then=Value(deltas[pk][1])) for pk in chunk), output_field=DecimalField())
        Movie.objects.filter(pk__in=chunk).update(
            ratings_count=F("ratings_count") + count, ratings_sum=F("ratings_sum") + total
        )
    return existing


def ratings_bulk_upsert(*, user: User, ratings: Sequence[RatingWrite], dry_run: bool = False) -> BulkUpsertResult:
    """Create or replace many of `user`'s ratings in one transaction, set-wise, statistics exact.

    Newer wins: a held rating is replaced only when the write's `updated_at` is later than its
    own and the write changes its score or review (else it is `unchanged`, not even touched); a
    new rating takes the write's `rated_at` and `updated_at`. When a movie repeats, the later
    write wins and the earlier counts as `unchanged`. Movies that no longer exist are skipped
    and reported in `missing_movie_ids`. `dry_run` computes the same answer and writes nothing.

    Phases, each one statement (on PostgreSQL) whatever the number of ratings: lock the user;
    read the user's held ratings; lock the movies whose counters move (by id: users before
    movies, like every writer) and move them; insert the new ratings; update the replaced
    ones; move the user's counters. Caches are invalidated after commit, like the
    single-rating path.
    """
    latest = {write.movie_id: write for write in ratings}
    superseded = len(ratings) - len(latest)
    with transaction.atomic():
        if not dry_run:
            _lock_user(user.pk)
        held = {
            movie_id: (pk, score, review, updated_at)
            for pk, movie_id, score, review, updated_at in Rating.objects.filter(user=user).values_list(
                "pk", "movie_id", "score", "review", "updated_at"
            )
        }
        to_create: list[Rating] = []
        to_update: list[tuple[int, Decimal, str, datetime]] = []
        deltas: dict[int, tuple[int, Decimal]] = {}
        unchanged = superseded
        for movie_id, write in latest.items():
            if movie_id not in held:
                to_create.append(
                    Rating(
                        user_id=user.pk,
                        movie_id=movie_id,
                        score=write.score,
                        review=write.review or "",
                        rated_at=write.rated_at,
                        updated_at=write.updated_at,
                    )
                )
                deltas[movie_id] = (1, write.score)
                continue
            pk, held_score, held_review, held_updated_at = held[movie_id]
            review = held_review if write.review is None else write.review
            if write.updated_at <= held_updated_at or (write.score == held_score and review == held_review):
                unchanged += 1
                continue
            to_update.append((pk, write.score, review, write.updated_at))
            deltas[movie_id] = (0, write.score - held_score)
        if dry_run:
            return BulkUpsertResult(len(to_create), len(to_update), unchanged)
        # Only the movies whose counters move are locked (by id, after the user). A held
        # rating's movie cannot vanish meanwhile (deleting it locks this user first); a new
        # rating's can, and is then skipped and reported.
        moving = {movie_id: delta for movie_id, delta in deltas.items() if delta != (0, 0)}
        missing = frozenset(moving.keys() - _lock_movies_and_move_counters(moving))
        if missing:
            to_create = [rating for rating in to_create if rating.movie_id not in missing]
            deltas = {movie_id: delta for movie_id, delta in deltas.items() if movie_id not in missing}
        result = BulkUpsertResult(len(to_create), len(to_update), unchanged, missing)
        if not (to_create or to_update):
            return result
        _insert_ratings(user, to_create)
        _update_ratings(to_update)
        User.objects.filter(pk=user.pk).update(
            ratings_count=F("ratings_count") + len(to_create),
            ratings_sum=F("ratings_sum") + sum((delta for _, delta in deltas.values()), Decimal(0)),
        )
        invalidate_on_commit(MOVIE_LISTS, user_tag(user.username), *(movie_tag(pk) for pk in sorted(deltas)))
        return result


@dataclass
class ImportReport:
    """The answer to a ratings import (SPEC section 13)."""

    format: ImportFormat
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    invalid: list[dict[str, Any]] = field(default_factory=list)


def ratings_import(*, user: User, content: bytes, dry_run: bool = False) -> ImportReport:
    """Import a ratings file (own export, Letterboxd or IMDb) into `user`'s ratings.

    Raises `ratings.transfer.ImportFileError` for a file that cannot be read at all (nothing is
    written). Every readable row ends up in exactly one of `created`, `updated`, `unchanged`,
    `unmatched` or `invalid`. One transaction: matching and writing see the same catalogue.
    """
    read = read_import_file(content)
    with transaction.atomic():
        matched, unmatched = match_rows(read.rows)
        writes = [
            RatingWrite(
                movie_id=match.movie_id,
                score=match.row.score,
                review=match.row.review,
                rated_at=match.row.rated_at,
                updated_at=match.row.updated_at,
            )
            for match in matched
        ]
        result = ratings_bulk_upsert(user=user, ratings=writes, dry_run=dry_run)
    if result.missing_movie_ids:
        # Deleted while we matched: their last rows are unmatched (earlier repeats stay `unchanged`).
        last = {match.movie_id: match.row for match in matched}
        gone = [last[movie_id] for movie_id in result.missing_movie_ids]
        unmatched = sorted(unmatched + [_gone(row) for row in gone], key=lambda entry: entry["line"])
    return ImportReport(
        format=read.format,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        unmatched=unmatched,
        invalid=read.invalid,
    )


def _gone(row: ImportRow) -> dict[str, Any]:
    return {"line": row.line, "title": row.title, "year": row.year, "reason": "not found in the catalogue"}
