"""Routes of the website (SPEC section 15), mounted at `/`.

Paths never start with `api/`, `admin/`, `health/` or `static/`, which belong to the service.
A username cannot contain `/`, so `people/<username>/` is one path segment.
"""

from django.urls import path, re_path

from users.views import USERNAME_PATTERN
from web import views

app_name = "web"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("movies/<int:pk>/", views.movie_detail, name="movie"),
    path("movies/<int:pk>/rating/", views.movie_rate, name="movie-rate"),
    path("movies/<int:pk>/rating/delete/", views.movie_rating_delete, name="movie-rating-delete"),
    path("signup/", views.signup, name="signup"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("account/password/", views.password_change, name="password-change"),
    path("account/forgot/", views.password_forgot, name="password-forgot"),
    # The page the emailed reset link opens (users.services.PASSWORD_RESET_PAGE).
    path("account/reset/", views.password_reset, name="password-reset"),
    path("me/recommendations/", views.recommendations, name="recommendations"),
    path("me/ratings/", views.my_ratings, name="my-ratings"),
    path("me/ratings/export/", views.my_ratings_export, name="my-ratings-export"),
    path("me/ratings/import/", views.my_ratings_import, name="my-ratings-import"),
    # The API's username pattern: anything else (a NUL byte, a slash) is a 404, never a query.
    re_path(rf"^people/(?P<username>{USERNAME_PATTERN})/$", views.profile, name="profile"),
]
