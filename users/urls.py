"""Routes of the users app: accounts and profiles under users/, JWT endpoints under auth/.

`users/<username>/ratings/` belongs to the ratings app: the profile route ends at
`users/<username>/`, and a username cannot contain `/`, so it never shadows it.
"""

from django.urls import path
from rest_framework.routers import SimpleRouter

from users import views

router = SimpleRouter()
router.register("users", views.UserViewSet, basename="user")

urlpatterns = [
    path("auth/token/", views.LoginView.as_view(), name="token-obtain"),
    path("auth/token/refresh/", views.RefreshView.as_view(), name="token-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="logout"),
    *router.urls,
]
