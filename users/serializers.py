"""Accounts, public profiles and the JWT endpoints' serializers."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.auth import password_validation
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Lower
from rest_framework import exceptions, serializers
from rest_framework.fields import get_error_detail
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from config.api.fields import StrictCharField, StrictEmailField, TokenField
from config.domain import SCORE_MAX, SCORE_MIN
from users.models import IMPORTED_USERNAME_PREFIX, RESERVED_USERNAMES, User

TAKEN_MESSAGES = {
    "username": "This username is taken (letter case does not matter). Choose another one.",
    "email": "An account with this email address exists (letter case does not matter). Log in or use another one.",
}


def users_matching(field: str, value: str) -> models.QuerySet[User]:
    """Users whose `field` equals `value` ignoring case, as the Lower() unique constraints see it."""
    return User.objects.alias(matched=Lower(field)).filter(matched=Lower(models.Value(value)))


@contextmanager
def duplicates_as_validation_errors() -> Iterator[None]:
    """Turn a unique-constraint violation on username or email into a 400 naming the field.

    The serializer checks uniqueness first; this catches the sign-up or rename that a
    concurrent request committed in between, which the Lower() constraints reject.
    """
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        message = str(exc)
        for field in ("username", "email"):
            if f"users_user_{field}" in message or f"users_user.{field}" in message:
                raise serializers.ValidationError({field: [TAKEN_MESSAGES[field]]}, code="unique") from exc
        raise


class AccountSerializer(serializers.ModelSerializer):
    """The caller's own account; PATCH may change the username and the email."""

    username = StrictCharField(
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="150 characters or fewer: letters, digits and @ . + - _ only.",
    )
    email = StrictEmailField(max_length=254)

    class Meta:
        model = User
        fields = ["id", "username", "email", "date_joined", "ratings_count"]
        read_only_fields = ["id", "date_joined", "ratings_count"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "password" in self.initial_data and self.instance is not None:
            raise serializers.ValidationError(
                {"password": ["The password cannot be changed here; only username and email can."]}
            )
        return attrs

    def validate_username(self, value: str) -> str:
        if self.instance is not None and value == self.instance.username:
            return value
        lowered = value.lower()
        if lowered.startswith(IMPORTED_USERNAME_PREFIX):
            raise serializers.ValidationError(
                f"Usernames starting with {IMPORTED_USERNAME_PREFIX!r} are reserved for imported accounts. "
                "Choose another one.",
                code="reserved",
            )
        if lowered in RESERVED_USERNAMES:
            raise serializers.ValidationError("This username is reserved. Choose another one.", code="reserved")
        self._check_free("username", value)
        return value

    def validate_email(self, value: str) -> str:
        value = BaseUserManager.normalize_email(value)
        if self.instance is None or value.lower() != self.instance.email.lower():
            self._check_free("email", value)
        return value

    def _check_free(self, field: str, value: str) -> None:
        others = users_matching(field, value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError(TAKEN_MESSAGES[field], code="unique")

    def update(self, instance: User, validated_data: dict[str, Any]) -> User:
        with duplicates_as_validation_errors():
            return super().update(instance, validated_data)


class RegistrationSerializer(AccountSerializer):
    """A sign-up: the account plus a password that Django's validators accept."""

    password = StrictCharField(write_only=True, style={"input_type": "password"}, trim_whitespace=False, max_length=128)

    class Meta(AccountSerializer.Meta):
        fields = [*AccountSerializer.Meta.fields, "password"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The would-be user lets UserAttributeSimilarityValidator compare the password with
        # the username and email.
        candidate = User(username=attrs["username"], email=attrs["email"])
        try:
            password_validation.validate_password(attrs["password"], candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": get_error_detail(exc)}) from exc
        return attrs

    def create(self, validated_data: dict[str, Any]) -> User:
        with duplicates_as_validation_errors():
            return User.objects.create_user(**validated_data)


class PublicProfileSerializer(serializers.ModelSerializer):
    """What anyone may see of an account: never its email."""

    username = serializers.CharField(read_only=True)
    average_score = serializers.DecimalField(
        max_digits=3,
        decimal_places=2,
        min_value=SCORE_MIN,
        max_value=SCORE_MAX,
        read_only=True,
        allow_null=True,
        help_text="Mean of the user's scores rounded half-up to 2 decimals; null without ratings.",
    )

    class Meta:
        model = User
        fields = ["username", "date_joined", "ratings_count", "average_score"]
        read_only_fields = fields


class RotatingTokenRefreshSerializer(TokenRefreshSerializer):
    """A refresh token to exchange for a new access and refresh pair."""

    default_error_messages = {
        "no_active_account": "This account no longer exists or is deactivated. Log in again.",
        "reused": "This refresh token was already used. Log in again.",
    }

    refresh = TokenField(help_text="The refresh token from the last login or refresh.")

    class Meta:
        ref_name = "TokenRefresh"

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        """Blacklist the old token, then mint the new pair, in one transaction.

        Unlike simplejwt's own serializer, a token whose user was deleted is a 401, not a 500
        (an uncaught DoesNotExist); and of two concurrent refreshes with one token only the
        one that creates the blacklist row succeeds, so a refresh token is strictly single-use.
        """
        refresh = RefreshToken(attrs["refresh"])
        user_id = refresh.payload.get(jwt_settings.USER_ID_CLAIM)
        user = User.objects.filter(**{jwt_settings.USER_ID_FIELD: user_id}).first()
        if user is None or not jwt_settings.USER_AUTHENTICATION_RULE(user):
            raise exceptions.AuthenticationFailed(str(self.error_messages["no_active_account"]), "no_active_account")

        with transaction.atomic():
            outstanding, _ = OutstandingToken.objects.get_or_create(
                jti=refresh[jwt_settings.JTI_CLAIM],
                defaults={
                    "user": user,
                    "token": str(refresh),
                    "created_at": refresh.current_time,
                    "expires_at": datetime_from_epoch(refresh["exp"]),
                },
            )
            _, first_use = BlacklistedToken.objects.get_or_create(token=outstanding)
            if not first_use:
                raise exceptions.AuthenticationFailed(str(self.error_messages["reused"]), "token_not_valid")

            refresh.set_jti()
            refresh.set_exp()
            refresh.set_iat()
            refresh.outstand()
        return {"access": str(refresh.access_token), "refresh": str(refresh)}


class LogoutSerializer(serializers.Serializer):
    """A refresh token of the caller's, to blacklist."""

    refresh = TokenField(write_only=True, help_text="The refresh token to revoke.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            token = RefreshToken(attrs["refresh"])
        except TokenError as exc:
            raise serializers.ValidationError(
                {"refresh": ["This is not a valid refresh token, or it expired or was revoked already."]},
                code="token_not_valid",
            ) from exc
        if token.payload.get(jwt_settings.USER_ID_CLAIM) != str(self.context["request"].user.pk):
            raise serializers.ValidationError(
                {"refresh": ["This refresh token belongs to another account: send one of yours."]}, code="not_yours"
            )
        return {"refresh": token}

    def save(self, **kwargs: Any) -> None:
        self.validated_data["refresh"].blacklist()
