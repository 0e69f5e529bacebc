"""Rating writes: the only code that changes ratings, keeping statistics exact.

Every write updates the rating row and the stored statistics of its movie (`ratings_count`,
`ratings_sum`) and of its user in one transaction. Locks are always taken in the same order,
users (by id) before movies (by id), so concurrent writers queue instead of deadlocking:

- `rating_upsert`/`rating_delete` lock the rater's user row first. That serialises one user's
  writes, which makes check-then-insert safe (two simultaneous PUTs by the same user on the same
  movie leave one row), and the movie row is then updated with an atomic `F()` expression.
- Removing many ratings at once (bulk delete, deleting a user or a movie) locks the affected
  users, then the affected movies, then subtracts their aggregates set-wise.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, DecimalField, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from config.cache import MOVIE_LISTS, invalidate_on_commit, movie_tag, user_tag
from movies.models import Movie
from ratings.models import Rating
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
            return rating, True
        if rating.score == score and rating.review == review:
            return rating, False
        difference = score - rating.score
        rating.score, rating.review, rating.updated_at = score, review, now
        rating.save(update_fields=["score", "review", "updated_at"])
        if difference:
            _add_to_statistics(movie_id=movie.pk, user_id=user.pk, count=0, total=difference)
        _invalidate_caches_of(movie_id=movie.pk, username=user.username)
        return rating, False


def rating_delete(*, rating: Rating) -> None:
    """Delete one rating and take it out of its movie's and user's statistics."""
    with transaction.atomic():
        _lock_user(rating.user_id)
        deleted, _ = Rating.objects.filter(pk=rating.pk).delete()
        if deleted:
            _add_to_statistics(movie_id=rating.movie_id, user_id=rating.user_id, count=-1, total=-rating.score)
            _invalidate_caches_of(movie_id=rating.movie_id, username=rating.user.username)


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
