"""Rating responses as they were before their row paths, as a URLconf for tests, at the same paths
as the real routes and with DRF's own JSONRenderer:

- the rated-movies lists: DRF's generic list over model instances and `RatedMovieSerializer`
  (`test_rated_list_bytes.py` holds the real routes to these bytes);
- the caller's own rating (GET and PUT): the model instances shown by the version's own-rating
  serializer (`test_own_rating_bytes.py` does).
"""

from typing import Any, cast

from django.http import Http404
from django.urls import include, path, re_path
from rest_framework import mixins, renderers, status
from rest_framework.request import Request
from rest_framework.response import Response

from movies.models import Movie
from ratings.models import Rating
from ratings.serializers import RatingWriteSerializer
from ratings.services import rating_put
from ratings.views import OwnRatingViewSet, RatedMoviesViewSet
from users.models import USERNAME_PATTERN, User


class SerializerRatedMoviesViewSet(RatedMoviesViewSet):
    renderer_classes = [renderers.JSONRenderer]

    def rated_page(self) -> Response:
        return mixins.ListModelMixin.list(self, self.request)


class SerializerOwnRatingViewSet(OwnRatingViewSet):
    """The own-rating GET and PUT as they were: the rating and its movie as model instances (the
    PUT's built from what the write returned, as `rating_put` built them), shown by the serializer."""

    renderer_classes = [renderers.JSONRenderer]

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        write = RatingWriteSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        outcome = rating_put(user=cast(User, request.user), movie_id=kwargs["movie_id"], **write.validated_data)
        if outcome is None:
            raise Http404
        row, created = outcome
        movie = Movie(
            pk=row["movie_id"],
            title=row["movie__title"],
            year=row["movie__year"],
            ratings_count=row["movie__ratings_count"],
            ratings_sum=row["movie__ratings_sum"],
        )
        rating = Rating(
            user=cast(User, request.user),
            movie=movie,
            score=row["score"],
            review=row["review"],
            rated_at=row["rated_at"],
            updated_at=row["updated_at"],
        )
        return Response(
            self.get_serializer(rating).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


urlpatterns = [
    path(
        "api/",
        include(
            [
                path(
                    "movies/<int:movie_id>/rating/",
                    SerializerOwnRatingViewSet.as_view({"get": "retrieve", "put": "update", "delete": "destroy"}),
                    name="movie-own-rating",
                ),
                path("users/me/ratings/", SerializerRatedMoviesViewSet.as_view({"get": "mine"}), name="my-ratings"),
                re_path(
                    rf"^users/(?P<username>{USERNAME_PATTERN})/ratings/$",
                    SerializerRatedMoviesViewSet.as_view({"get": "list"}),
                    name="user-ratings",
                ),
            ]
        ),
    )
]
