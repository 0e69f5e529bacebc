"""Rating endpoints: the caller's own rating of a movie, a movie's ratings, users' rated movies."""

from typing import Any, cast

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.throttling import BaseThrottle

from config.api.throttling import WriteRateThrottle
from config.api.versioning import for_version
from config.cache import cache_response, movie_tag, user_tag
from movies.models import Movie
from ratings.filters import RatingFilter
from ratings.models import Rating
from ratings.serializers import (
    MovieRatingSerializer,
    OwnRatingV1Serializer,
    OwnRatingV2Serializer,
    RatedMovieSerializer,
    RatingWriteSerializer,
)
from ratings.services import rating_delete, rating_upsert
from users.models import User, user_named


def _own_rating_schema(version: str, **kwargs: Any) -> Any:
    return extend_schema(versions=[version], **kwargs)


class OwnRatingViewSet(viewsets.GenericViewSet):
    """`/api/movies/{movie_id}/rating/`: the caller's rating of one movie (read, replace, delete).

    Writes go through `ratings.services`, which keeps the movie's statistics exact; the
    response shows the movie's statistics after the write. (The OpenAPI descriptions come from
    the actions' docstrings, written for API users, never from this one.)
    """

    permission_classes = [permissions.IsAuthenticated]
    pagination_class = None
    filter_backends: list[Any] = []

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return for_version(self.request, {"1": OwnRatingV1Serializer, "2": OwnRatingV2Serializer})

    def get_throttles(self) -> list[BaseThrottle]:
        # Rating writes are throttled per user, rejected ones included; reads are not.
        return [WriteRateThrottle()] if self.request.method in ("PUT", "DELETE") else []

    def _movie(self) -> Movie:
        return get_object_or_404(Movie, pk=self.kwargs["movie_id"])

    def get_object(self) -> Rating:
        """The caller's rating of the movie in the URL, with both, in one query (404 for an
        unknown movie or no rating: the two are the same answer)."""
        ratings = Rating.objects.select_related("movie", "user")
        return get_object_or_404(ratings, user=self.request.user, movie_id=self.kwargs["movie_id"])

    @_own_rating_schema("1", responses=OwnRatingV1Serializer)
    @_own_rating_schema("2", responses=OwnRatingV2Serializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Your rating of this movie, with the movie's current statistics; 404 if you have not rated it."""
        return Response(self.get_serializer(self.get_object()).data)

    @_own_rating_schema(
        "1", request=RatingWriteSerializer, responses={200: OwnRatingV1Serializer, 201: OwnRatingV1Serializer}
    )
    @_own_rating_schema(
        "2", request=RatingWriteSerializer, responses={200: OwnRatingV2Serializer, 201: OwnRatingV2Serializer}
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Create (201) or fully replace (200) the caller's rating; an omitted review becomes empty."""
        movie = self._movie()
        write = RatingWriteSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        rating, created = rating_upsert(user=cast(User, request.user), movie=movie, **write.validated_data)
        rating.movie = Movie.objects.get(pk=movie.pk)  # the statistics after this write
        return Response(
            self.get_serializer(rating).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Delete your rating of this movie; 404 if you have not rated it."""
        rating_delete(rating=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class MovieRatingsViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """`/api/movies/{movie_id}/ratings/`: everyone's ratings of one movie, paginated."""

    serializer_class = MovieRatingSerializer
    filterset_class = RatingFilter

    def get_queryset(self) -> QuerySet[Rating]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no URL kwargs
            return Rating.objects.none()
        return Rating.objects.filter(movie_id=self.kwargs["movie_id"]).select_related("user")

    @cache_response(tags=lambda request, kwargs: [movie_tag(kwargs["movie_id"])])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Everyone's ratings of this movie, latest activity first, paginated."""
        get_object_or_404(Movie.objects.only("pk"), pk=kwargs["movie_id"])
        return super().list(request, *args, **kwargs)


class RatedMoviesViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The movies a user rated (their profile list): `/api/users/{username}/ratings/` for anyone,
    `/api/users/me/ratings/` for the caller."""

    serializer_class = RatedMovieSerializer
    filterset_class = RatingFilter

    def get_permissions(self) -> list[Any]:
        if self.action == "mine":
            return [permissions.IsAuthenticated()]
        return [permissions.AllowAny()]

    def get_queryset(self) -> QuerySet[Rating]:
        if getattr(self, "swagger_fake_view", False):  # schema generation names no user
            return Rating.objects.none()
        return Rating.objects.filter(user=self.rated_by).select_related("movie")

    @cache_response(tags=lambda request, kwargs: [user_tag(kwargs["username"])])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The movies this user rated, latest activity first, paginated."""
        self.rated_by = get_object_or_404(user_named(kwargs["username"]).only("pk"))
        return super().list(request, *args, **kwargs)

    @extend_schema(operation_id="users_me_ratings_list", responses=RatedMovieSerializer(many=True))
    def mine(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The movies you rated, latest activity first, paginated."""
        self.rated_by = cast(User, request.user)
        return super().list(request, *args, **kwargs)
