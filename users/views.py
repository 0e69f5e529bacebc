"""Sign-up, the caller's own account and password, public profiles, personal access tokens,
password reset, and the JWT endpoints."""

from typing import Any, cast

from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from config.api.throttling import (
    AccountIpRateThrottle,
    AccountRateThrottle,
    LoginRateThrottle,
    RefreshRateThrottle,
    RegisterRateThrottle,
    ResetEmailRateThrottle,
    WriteRateThrottle,
)
from config.cache import cache_response, user_tag
from users import services, tasks
from users.authentication import PasswordSessionRequired, is_personal_token
from users.models import USERNAME_PATTERN, PersonalAccessToken, User, user_named
from users.serializers import (
    AccountSerializer,
    LoginSerializer,
    LogoutSerializer,
    PasswordChangeSerializer,
    PasswordResetAcceptedSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetRequestSerializer,
    PersonalAccessTokenCreatedSerializer,
    PersonalAccessTokenCreateSerializer,
    PersonalAccessTokenSerializer,
    PublicProfileSerializer,
    RegistrationSerializer,
    RotatingTokenRefreshSerializer,
    SessionSerializer,
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
        if self.action == "password" or (self.action == "me" and self.request.method == "DELETE"):
            # Never with a personal access token (SPEC 12).
            return [permissions.IsAuthenticated(), PasswordSessionRequired()]
        if self.action == "me":
            return [permissions.IsAuthenticated()]
        return [permissions.AllowAny()]

    def get_throttles(self) -> list[BaseThrottle]:
        # Sign-ups per client IP; account changes (profile edits, password changes) per user, and
        # password changes per client IP too (SPEC section 8). Reading profiles is not throttled.
        if self.action == "create":
            return [RegisterRateThrottle()]
        if self.action == "me" and self.request.method == "PATCH":
            return [AccountRateThrottle()]
        if self.action == "password":
            return [AccountRateThrottle(), AccountIpRateThrottle()]
        return []

    @cache_response(tags=lambda request, kwargs: [user_tag(kwargs["username"])])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(summary="Your account", methods=["GET"])
    @extend_schema(summary="Change your username or email", methods=["PATCH"])
    @extend_schema(summary="Delete your account and all your ratings", methods=["DELETE"], responses={204: None})
    @action(detail=False, methods=["get", "patch", "delete"])
    def me(self, request: Request) -> Response:
        user = cast(User, request.user)
        if request.method == "DELETE":
            # One delete, so the ratings app's pre_delete receiver keeps movie statistics exact
            # in the same transaction.
            with transaction.atomic():
                user.delete()
            return Response(status=status.HTTP_204_NO_CONTENT)
        if request.method == "PATCH":
            email = request.data.get("email") if isinstance(request.data, dict) else None
            if is_personal_token(request) and email is not None and str(email).lower() != user.email.lower():
                # Refused before validation: a personal token must not even learn whether an
                # address is taken.
                raise exceptions.PermissionDenied(PasswordSessionRequired.message, PasswordSessionRequired.code)
            serializer = self.get_serializer(user, data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            serializer.save()
            return Response(serializer.data)
        return Response(self.get_serializer(user).data)

    @extend_schema(
        summary="Change your password",
        request=PasswordChangeSerializer,
        responses={200: SessionSerializer},
        description="Checks the current password and sets the new one. Every session and personal access "
        "token of the account ends; the answer is a fresh session for the caller. Not with a personal token.",
    )
    @action(detail=False, methods=["post"], url_path="me/password", url_name="password")
    def password(self, request: Request) -> Response:
        serializer = PasswordChangeSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        session = services.user_password_change(
            user=cast(User, request.user), new_password=serializer.validated_data["new_password"]
        )
        return Response(session)


@extend_schema_view(post=extend_schema(summary="Log in"))
class LoginView(TokenObtainPairView):
    """Exchange a username and password for an access and a refresh token (throttled per IP)."""

    serializer_class = LoginSerializer
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


class PasswordResetView(APIView):
    """Ask for a password reset email. The answer is the same whether or not the address is known."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [AccountIpRateThrottle, ResetEmailRateThrottle]

    @extend_schema(
        summary="Ask for a password reset email",
        request=PasswordResetRequestSerializer,
        responses={202: PasswordResetAcceptedSerializer},
        description="Always 202 for a valid address, known or not. A known active account gets an email with "
        "a single-use link to the website's reset page (`/account/reset/?uid=...&token=...`), valid for "
        "PASSWORD_RESET_HOURS.",
    )
    def post(self, request: Request) -> Response:
        serializer = PasswordResetRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # No lookup here: the task looks the address up and sends after the response.
        tasks.password_reset_email_later(email=serializer.validated_data["email"])
        return Response(
            {"detail": "If an active account has this email address, a link to reset its password is on its way."},
            status=status.HTTP_202_ACCEPTED,
        )


class PasswordResetConfirmView(APIView):
    """Set a new password with the `uid` and `token` of an emailed reset link."""

    permission_classes = [permissions.AllowAny]
    # Per client IP only: the token (128 bits of HMAC) cannot be guessed, and a per-account
    # counter would let anyone who knows a victim's id block their genuine link for an hour.
    throttle_classes = [AccountIpRateThrottle]

    @extend_schema(
        summary="Set a new password with a reset link",
        request=PasswordResetConfirmSerializer,
        responses={204: None},
        description="Every session and personal access token of the account ends; the link stops working. "
        "400 naming `token` for a used, expired or forged link, naming `new_password` for a refused password.",
    )
    def post(self, request: Request) -> Response:
        serializer = PasswordResetConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_confirm(
            user=serializer.validated_data["user"], new_password=serializer.validated_data["new_password"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="Your personal access tokens", description="Newest first, never their secret."),
    create=extend_schema(
        summary="Create a personal access token",
        request=PersonalAccessTokenCreateSerializer,
        responses={201: PersonalAccessTokenCreatedSerializer},
        description="The `token` is in this response only: store it now. Send it as "
        "`Authorization: Bearer <token>`. At most 20 live tokens.",
    ),
    destroy=extend_schema(summary="Revoke a personal access token", responses={204: None}),
)
class PersonalAccessTokenViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """`/api/users/me/tokens/`: the caller's personal access tokens (SPEC 12), managed with a
    password session only: a personal token can neither list, create nor revoke tokens."""

    serializer_class = PersonalAccessTokenSerializer
    lookup_value_regex = "[0-9]{1,18}"
    permission_classes = [permissions.IsAuthenticated, PasswordSessionRequired]
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[PersonalAccessToken]:
        if getattr(self, "swagger_fake_view", False):
            return PersonalAccessToken.objects.none()
        mine = PersonalAccessToken.objects.unrevoked().filter(owner=cast(User, self.request.user))
        return mine.order_by("-created_at", "-id")

    def get_throttles(self) -> list[BaseThrottle]:
        # Creating and revoking count against the user's write budget, so no one fills the
        # table with revoked tokens at request speed.
        return [WriteRateThrottle()] if self.request.method in ("POST", "DELETE") else []

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = PersonalAccessTokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, secret = services.token_create(owner=cast(User, request.user), **serializer.validated_data)
        body = PersonalAccessTokenCreatedSerializer(token, context={"secret": secret}).data
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: PersonalAccessToken) -> None:
        services.token_revoke(token=instance)


class LogoutView(APIView):
    """Revoke one of the caller's refresh tokens for good."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(summary="Log out", request=LogoutSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        serializer = LogoutSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(status=status.HTTP_204_NO_CONTENT)
