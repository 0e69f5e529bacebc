"""Routes of the catalogue: /api/movies/ and /api/genres/."""

from rest_framework.routers import SimpleRouter

from movies.views import GenreViewSet, MovieViewSet

router = SimpleRouter()
router.register("movies", MovieViewSet, basename="movie")
router.register("genres", GenreViewSet, basename="genre")

urlpatterns = router.urls
