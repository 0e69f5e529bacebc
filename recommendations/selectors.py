"""Reads of the recommendations app, shared by the API and the website.

Neither read computes the model: both use the neighbour rows of the active model, which a
background build keeps current (`recommendations.services`). The caller's own ratings are read
at request time, so a rating counts as soon as it is written.
"""

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.db.models import QuerySet

from movies.models import Movie
from movies.selectors import top_movies
from ratings.models import Rating
from recommendations.algorithm import RANKING_NEIGHBOURS, Ranked, rank_for_user
from recommendations.models import MovieSimilarity
from users.models import User

# Fewer ratings than this and a caller gets the popular list (SPEC section 14).
MIN_RATINGS_FOR_PERSONAL = 5
PERSONAL, POPULAR = "personal", "popular"


def similar_movies(*, movie_id: int, limit: int) -> list[Movie]:
    """The movie's neighbours under the active model, best first, each with its `similarity`.

    One query on the (movie, model, rank) index joined to the movies, plus the genres' prefetch.
    An empty list when no model is active yet or the movie has no neighbour.
    """
    rows = (
        MovieSimilarity.objects.filter(movie_id=movie_id, model__is_active=True)
        .select_related("neighbour")
        .prefetch_related("neighbour__genres")
        .order_by("rank")[:limit]
    )
    movies = []
    for row in rows:
        movie = row.neighbour
        movie.similarity = row.similarity  # type: ignore[attr-defined]
        movies.append(movie)
    return movies


@dataclass(frozen=True)
class Recommendations:
    """What `GET /api/users/me/recommendations/` shows: movies with `because` set on each."""

    strategy: str
    results: list[Movie]


def recommendations_for(*, user: User, limit: int, global_mean: Decimal | None) -> Recommendations:
    """Movies the user has not rated, by predicted appeal from their ratings and the active model.

    With fewer than `MIN_RATINGS_FOR_PERSONAL` ratings, or none the model can use, the top list
    (SPEC section 6) minus what the user rated, with empty `because` lists.
    """
    rated = list(Rating.objects.filter(user=user).values_list("movie_id", "score"))
    rated_ids = np.array([movie_id for movie_id, _ in rated], dtype=np.int64)
    if len(rated) >= MIN_RATINGS_FOR_PERSONAL:
        rated_scores = np.array([float(score) for _, score in rated], dtype=np.float64)
        # Candidates that have one of the user's rated movies among their closest neighbours.
        rows = list(
            MovieSimilarity.objects.filter(
                model__is_active=True,
                rank__lte=RANKING_NEIGHBOURS,
                neighbour_id__in=Rating.objects.filter(user=user).values("movie_id"),
            ).values_list("neighbour_id", "movie_id", "similarity")
        )
        if rows:
            neighbours = np.array(rows, dtype=np.float64)
            ranked = rank_for_user(
                rated_ids=rated_ids,
                rated_scores=rated_scores,
                global_mean=float(global_mean) if global_mean is not None else float(rated_scores.mean()),
                sources=neighbours[:, 0].astype(np.int64),
                candidates=neighbours[:, 1].astype(np.int64),
                similarities=neighbours[:, 2],
                limit=limit,
            )
            if ranked:
                return Recommendations(PERSONAL, _personal_movies(ranked))
    return Recommendations(POPULAR, _popular_movies(user=user, limit=limit, global_mean=global_mean))


def _personal_movies(ranked: list[Ranked]) -> list[Movie]:
    """The ranked movies with their genres, and `because` as `{id, title}` of rated movies."""
    by_id = Movie.objects.prefetch_related("genres").in_bulk([item.movie_id for item in ranked])
    reason_ids = {movie_id for item in ranked for movie_id in item.because}
    titles = dict(Movie.objects.filter(pk__in=reason_ids).values_list("pk", "title"))
    movies = []
    for item in ranked:
        movie = by_id.get(item.movie_id)
        if movie is None:  # deleted since the rows were read
            continue
        movie.because = [  # type: ignore[attr-defined]
            {"id": movie_id, "title": titles[movie_id]} for movie_id in item.because if movie_id in titles
        ]
        movies.append(movie)
    return movies


def _popular_movies(*, user: User, limit: int, global_mean: Decimal | None) -> list[Movie]:
    unrated: QuerySet[Movie] = Movie.objects.exclude(pk__in=Rating.objects.filter(user=user).values("movie_id"))
    movies = list(top_movies(queryset=unrated, global_mean=global_mean, min_ratings=1, limit=limit))
    for movie in movies:
        movie.because = []  # type: ignore[attr-defined]
    return movies
