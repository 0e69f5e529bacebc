"""Sign-up, the caller's own account, public profiles, and the JWT endpoints."""

from typing import Any

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from config.api.throttling import (
    AccountRateThrottle,
    LoginRateThrottle,
    RefreshRateThrottle,
    RegisterRateThrottle,
)
from config.cache import cache_response, user_tag
from users.models import USERNAME_PATTERN, User, user_named
from users.serializers import (
    AccountSerializer,
    LogoutSerializer,
    PublicProfileSerializer,
    RegistrationSerializer,
    RotatingTokenRefreshSerializer,
)


@extend_schema_view(
    create=extend_schema(summary="Sign up", responses={201: AccountSerializer}),
    retrieve=extend_schema(summary="A user's public profile"),
)
class UserViewSet(mixins.CreateModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Accounts: sign up (`POST /users/`), the caller's own account (`/users/me/`) and public
    profiles (`/users/{username}/`, any letter case).

    There is no route that writes another user's account: writes go through `/users/me/`,
    which only ever touches the caller.
    """

    queryset = User.objects.all()
    lookup_field = "username"
    lookup_value_regex = USERNAME_PATTERN
    pagination_class = None  # no list here

    def get_object(self) -> User:
        return get_object_or_404(user_named(self.kwargs["username"]))

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action == "create":
            return RegistrationSerializer
        if self.action == "retrieve":
            return PublicProfileSerializer
        return AccountSerializer

    def get_permissions(self) -> list[permissions.BasePermission]:
        if self.action == "me":
            return [permissions.IsAuthenticated()]
        return [permissions.AllowAny()]

    def get_throttles(self) -> list[BaseThrottle]:
        # Sign-ups per client IP, account changes per user (SPEC section 8); reading profiles is not.
        if self.action == "create":
            return [RegisterRateThrottle()]
        if self.action == "me" and self.request.method == "PATCH":
            return [AccountRateThrottle()]
        return []

    @cache_response(tags=lambda request, kwargs: [user_tag(kwargs["username"])])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(summary="Your account", methods=["GET"])
    @extend_schema(summary="Change your username or email", methods=["PATCH"])
    @extend_schema(summary="Delete your account and all your ratings", methods=["DELETE"], responses={204: None})
    @action(detail=False, methods=["get", "patch", "delete"])
    def me(self, request: Request) -> Response:
        user = request.user
        if request.method == "DELETE":
            # One delete, so the ratings app's pre_delete receiver keeps movie statistics exact
            # in the same transaction.
            with transaction.atomic():
                user.delete()
            return Response(status=status.HTTP_204_NO_CONTENT)
        if request.method == "PATCH":
            serializer = self.get_serializer(user, data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            serializer.save()
            return Response(serializer.data)
        return Response(self.get_serializer(user).data)


@extend_schema_view(post=extend_schema(summary="Log in"))
class LoginView(TokenObtainPairView):
    """Exchange a username and password for an access and a refresh token (throttled per IP)."""

    pagination_class = None

    def get_throttles(self) -> list[BaseThrottle]:
        self.login_throttle = LoginRateThrottle()
        return [self.login_throttle]

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().post(request, *args, **kwargs)
        if response.status_code == status.HTTP_200_OK:
            # Only failed attempts count against the username (from any address).
            self.login_throttle.refund_username()
        return response


@extend_schema_view(post=extend_schema(summary="Refresh the tokens"))
class RefreshView(TokenRefreshView):
    """Exchange a refresh token for a new pair; the old refresh token can never be used again."""

    serializer_class = RotatingTokenRefreshSerializer
    throttle_classes = [RefreshRateThrottle]
    pagination_class = None


class LogoutView(APIView):
    """Revoke one of the caller's refresh tokens for good."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(summary="Log out", request=LogoutSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        serializer = LogoutSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(status=status.HTTP_204_NO_CONTENT)
