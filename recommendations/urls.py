"""Routes: a movie's similar movies, nested under the movie; the caller's recommendations under users/me/."""

from django.urls import path

from recommendations import views

similar = views.SimilarMoviesViewSet.as_view({"get": "list"})
recommendations = views.RecommendationsViewSet.as_view({"get": "retrieve"})

urlpatterns = [
    path("movies/<int:movie_id>/similar/", similar, name="movie-similar"),
    path("users/me/recommendations/", recommendations, name="my-recommendations"),
]
