"""The rated-movies lists as they were before the row path, as a URLconf for tests: DRF's generic
list over model instances, `RatedMovieSerializer` and DRF's own JSONRenderer, at the same paths
as the real routes. `test_rated_list_bytes.py` holds the real routes to these bytes."""

from django.urls import include, path, re_path
from rest_framework import mixins, renderers
from rest_framework.response import Response

from ratings.views import RatedMoviesViewSet
from users.models import USERNAME_PATTERN


class SerializerRatedMoviesViewSet(RatedMoviesViewSet):
    renderer_classes = [renderers.JSONRenderer]

    def rated_page(self) -> Response:
        return mixins.ListModelMixin.list(self, self.request)


urlpatterns = [
    path(
        "api/",
        include(
            [
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
