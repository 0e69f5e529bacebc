"""`GET /api/movies/{id}/similar/` (public, cached) and `GET /api/users/me/recommendations/` (the caller's)."""

from typing import Any, cast

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from config.api.params import positive_int
from config.api.versioning import request_version
from config.cache import MOVIE_LISTS, SIMILAR_MOVIES, cache_response, movie_tag
from movies.models import Movie
from movies.selectors import global_mean_rating
from recommendations import selectors
from recommendations.serializers import (
    RecommendationsV1Serializer,
    RecommendationsV2Serializer,
    SimilarMovieV1Serializer,
    SimilarMovieV2Serializer,
)
from users.models import User

SIMILAR_DEFAULT_LIMIT, SIMILAR_MAX_LIMIT = 10, 50
RECOMMENDATIONS_DEFAULT_LIMIT, RECOMMENDATIONS_MAX_LIMIT = 20, 100


def _limit_parameter(default: int, maximum: int) -> OpenApiParameter:
    return OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1},
        description=f"How many movies (>= 1; above {maximum} counts as {maximum}).",
        default=default,
    )


class SimilarMoviesViewSet(viewsets.GenericViewSet):
    """`/api/movies/{movie_id}/similar/`: the movies people who rated this one also rated alike.

    A plain list, best first, each movie in the list shape of the version asked for plus its
    `similarity` in (0, 1]. Served from the active similarity model; cached, and invalidated when
    a new model is swapped in or a shown movie's statistics change.
    """

    permission_classes = [permissions.AllowAny]
    pagination_class = None
    filter_backends: list[Any] = []
    extra_error_statuses = (400,)

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return SimilarMovieV2Serializer if request_version(self.request) == "2" else SimilarMovieV1Serializer

    @extend_schema(parameters=[_limit_parameter(SIMILAR_DEFAULT_LIMIT, SIMILAR_MAX_LIMIT)])
    @cache_response(tags=lambda request, kwargs: [MOVIE_LISTS, SIMILAR_MOVIES, movie_tag(kwargs["movie_id"])])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The movies most similar to this one, best first (empty until a model is built)."""
        limit = positive_int(request.query_params, "limit", default=SIMILAR_DEFAULT_LIMIT, maximum=SIMILAR_MAX_LIMIT)
        get_object_or_404(Movie.objects.only("pk"), pk=kwargs["movie_id"])
        movies = selectors.similar_movies(movie_id=kwargs["movie_id"], limit=limit)
        context = {**self.get_serializer_context(), "global_mean": global_mean_rating()}
        return Response(self.get_serializer_class()(movies, many=True, context=context).data)


def _recommendations_schema(version: str, serializer: type[BaseSerializer[Any]]) -> Any:
    return extend_schema(
        versions=[version],
        operation_id="users_me_recommendations_retrieve",
        parameters=[_limit_parameter(RECOMMENDATIONS_DEFAULT_LIMIT, RECOMMENDATIONS_MAX_LIMIT)],
        responses=serializer,
    )


class RecommendationsViewSet(viewsets.GenericViewSet):
    """`/api/users/me/recommendations/`: movies the caller has not rated, ranked for them.

    `strategy: personal` from the caller's current ratings and the similarity model, each movie
    with the rated movies that led to it (`because`); `strategy: popular` (the top list minus
    what they rated) with fewer than 5 ratings or none the model can use. Never cached.
    """

    permission_classes = [permissions.IsAuthenticated]
    pagination_class = None
    filter_backends: list[Any] = []
    extra_error_statuses = (400,)

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return RecommendationsV2Serializer if request_version(self.request) == "2" else RecommendationsV1Serializer

    @_recommendations_schema("1", RecommendationsV1Serializer)
    @_recommendations_schema("2", RecommendationsV2Serializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Recommendations for the caller, best first."""
        limit = positive_int(
            request.query_params, "limit", default=RECOMMENDATIONS_DEFAULT_LIMIT, maximum=RECOMMENDATIONS_MAX_LIMIT
        )
        global_mean = global_mean_rating()
        found = selectors.recommendations_for(user=cast(User, request.user), limit=limit, global_mean=global_mean)
        context = {**self.get_serializer_context(), "global_mean": global_mean}
        body = {"strategy": found.strategy, "results": found.results}
        # Private and computed from the caller's current ratings: no copy may be kept anywhere.
        return Response(self.get_serializer_class()(body, context=context).data, headers={"Cache-Control": "no-store"})
