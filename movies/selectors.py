"""Reads of the catalogue: the querysets the API serves and the statistics they show.

Movie statistics come from the counters stored on each movie (`ratings_count`, `ratings_sum`);
only a movie's score distribution reads the ratings table, through the reverse relation.
"""

from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Case, Count, DecimalField, F, QuerySet, Sum, Value, When
from django.db.models.functions import Lower

from config.cache import CACHE_ERRORS, warn_cache_unavailable
from config.domain import SCORE_TEXTS
from movies.models import Genre, Movie

# MovieLens' scale, as the keys of a distribution: "0.5", "1.0", ..., "5.0".
SCORE_KEYS = SCORE_TEXTS

GLOBAL_MEAN_CACHE_KEY = "movies:global-mean"

# Wide enough for any quotient of the stored counters; SQL only orders by these values.
_STAT_FIELD = DecimalField(max_digits=30, decimal_places=20)


def compute_global_mean() -> Decimal | None:
    """C: the mean of every rating, from the counters on the movies table; None without ratings."""
    totals = Movie.objects.aggregate(total_sum=Sum("ratings_sum"), total_count=Sum("ratings_count"))
    if not totals["total_count"]:
        return None
    return Decimal(totals["total_sum"]) / totals["total_count"]


def global_mean_rating() -> Decimal | None:
    """C, reused for `RATING_GLOBAL_MEAN_TTL` seconds: one number for the whole catalogue.

    The value is cached wrapped in a tuple so that "no ratings yet" (None) is cached too.
    When the cache is down it is computed on every call.
    """
    try:
        cached = cache.get(GLOBAL_MEAN_CACHE_KEY)
    except CACHE_ERRORS as exc:
        warn_cache_unavailable(exc)
        return compute_global_mean()
    if cached is not None:
        return cached[0]
    mean = compute_global_mean()
    try:
        cache.set(GLOBAL_MEAN_CACHE_KEY, (mean,), timeout=settings.RATING_GLOBAL_MEAN_TTL)
    except CACHE_ERRORS as exc:
        warn_cache_unavailable(exc)
    return mean


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
    """Annotate the exact `average` and `weighted` values (NULL for unrated movies) for ordering.

    The arithmetic is done on Decimals in SQL: `m·C` is computed in Python and sent as one
    parameter, so PostgreSQL ranks by the exact quotient.
    """
    prior = settings.RATING_PRIOR
    average = F("ratings_sum") / F("ratings_count")
    if global_mean is None:
        weighted = average
    else:
        prior_mass = Value(prior * global_mean, output_field=_STAT_FIELD)
        weighted = (F("ratings_sum") + prior_mass) / (F("ratings_count") + Value(prior))
    return queryset.annotate(
        average=Case(When(ratings_count=0, then=None), default=average, output_field=_STAT_FIELD),
        weighted=Case(When(ratings_count=0, then=None), default=weighted, output_field=_STAT_FIELD),
    )


def movie_list_queryset(*, global_mean: Decimal | None) -> QuerySet[Movie]:
    """Movies with their genres prefetched and the statistics annotated, in the default order."""
    queryset = Movie.objects.prefetch_related("genres").order_by("title", "id")
    return with_rating_annotations(queryset, global_mean=global_mean)


def top_movies(
    *, queryset: QuerySet[Movie], global_mean: Decimal | None, min_ratings: int, limit: int
) -> QuerySet[Movie]:
    """The best movies by weighted rating; ties by count (more first), then title, then id."""
    queryset = queryset.filter(ratings_count__gte=max(min_ratings, 1)).prefetch_related("genres")
    queryset = with_rating_annotations(queryset, global_mean=global_mean)
    return queryset.order_by(F("weighted").desc(nulls_last=True), "-ratings_count", "title", "id")[:limit]


def score_distribution(movie: Movie) -> dict[str, int]:
    """How many ratings the movie has at each score, every score of the scale included.

    One grouped query through the reverse relation; the (movie, score) index serves it.
    """
    counts = {key: 0 for key in SCORE_KEYS}
    rows = movie.ratings.order_by().values("score").annotate(n=Count("pk"))
    for row in rows:
        counts[f"{Decimal(row['score']):.1f}"] = row["n"]
    return counts


def genre_list_queryset() -> QuerySet[Genre]:
    """Genres with how many movies each has, alphabetically whatever the letter case."""
    return Genre.objects.annotate(movies_count=Count("movies")).order_by(Lower("name"), "id")
