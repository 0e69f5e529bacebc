"""Rating routes, nested under the movies and users they belong to."""

from django.urls import path, re_path

from ratings import views
from users.models import USERNAME_PATTERN

own_rating = views.OwnRatingViewSet.as_view({"get": "retrieve", "put": "update", "delete": "destroy"})
movie_ratings = views.MovieRatingsViewSet.as_view({"get": "list"})
my_ratings = views.RatedMoviesViewSet.as_view({"get": "mine"})
user_ratings = views.RatedMoviesViewSet.as_view({"get": "list"})

urlpatterns = [
    path("movies/<int:movie_id>/rating/", own_rating, name="movie-own-rating"),
    path("movies/<int:movie_id>/ratings/", movie_ratings, name="movie-ratings"),
    path("users/me/ratings/", my_ratings, name="my-ratings"),
    # Only names a username can have reach the view (a NUL or a slash is a 404, not a query).
    re_path(rf"^users/(?P<username>{USERNAME_PATTERN})/ratings/$", user_ratings, name="user-ratings"),
]
