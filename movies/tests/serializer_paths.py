"""The catalogue's reads as they were before the row paths, as a URLconf for tests.

DRF's generic list and retrieve and the top action over model instances with prefetched
genres, the DRF serializers (`MovieV1Serializer`, `MovieDetailV2Serializer`, ...) and DRF's own
JSONRenderer, at the same paths as the real routes. `test_representations.py` holds the real
routes to these bytes.
"""

from typing import Any

from django.db.models import QuerySet
from django.urls import include, path
from rest_framework import mixins, renderers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from config.api.params import positive_int, text
from movies import selectors
from movies.filters import COUNT_MAX, filter_by_genre
from movies.models import Movie
from movies.views import TOP_DEFAULT_LIMIT, TOP_MAX_LIMIT, MovieViewSet


class SerializerMovieViewSet(MovieViewSet):
    renderer_classes = [renderers.JSONRenderer]

    def get_queryset(self) -> QuerySet[Movie]:
        if self.action == "list":
            return selectors.movie_list_queryset(global_mean=self.global_mean())
        return Movie.objects.prefetch_related("genres")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return mixins.ListModelMixin.list(self, request, *args, **kwargs)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return mixins.RetrieveModelMixin.retrieve(self, request, *args, **kwargs)

    @action(detail=False, filter_backends=[], pagination_class=None)
    def top(self, request: Request) -> Response:
        params = request.query_params
        min_ratings = positive_int(params, "min_ratings", default=1, upper=COUNT_MAX)
        limit = positive_int(params, "limit", default=TOP_DEFAULT_LIMIT, maximum=TOP_MAX_LIMIT)
        queryset = Movie.objects.all()
        if genre := text(params, "genre"):
            queryset = filter_by_genre(queryset, genre)
        movies = selectors.top_movies(
            queryset=queryset, global_mean=self.global_mean(), min_ratings=min_ratings, limit=limit
        )
        return Response(self.get_serializer(movies).data)


router = SimpleRouter()
router.register("movies", SerializerMovieViewSet, basename="movie")

urlpatterns = [path("api/", include(router.urls))]
