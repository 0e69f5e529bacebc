"""Routes of the users app: accounts, profiles and personal access tokens under users/, the JWT
and password reset endpoints under auth/.

`users/<username>/ratings/` belongs to the ratings app: the profile route ends at
`users/<username>/`, and a username cannot contain `/`, so it never shadows it.
"""

from django.urls import path
from rest_framework.routers import SimpleRouter

from users import views

router = SimpleRouter()
router.register("users/me/tokens", views.PersonalAccessTokenViewSet, basename="personal-access-token")
router.register("users", views.UserViewSet, basename="user")

urlpatterns = [
    path("auth/token/", views.LoginView.as_view(), name="token-obtain"),
    path("auth/token/refresh/", views.RefreshView.as_view(), name="token-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="logout"),
    path("auth/password-reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path("auth/password-reset/confirm/", views.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
    *router.urls,
]
