"""Accounts, public profiles, passwords, personal access tokens and the JWT endpoints' serializers."""

from typing import Any

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import exceptions, serializers
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from config.api.fields import StrictCharField, StrictEmailField, TokenField
from config.domain import SCORE_MAX, SCORE_MIN
from users import services
from users.models import PersonalAccessToken, User
from users.selectors import password_reset_user
from users.tokens import SessionRefreshToken, cap_to_session, session_end, session_epoch_of


class AccountSerializer(serializers.ModelSerializer):
    """The caller's own account; PATCH may change the username and the email."""

    username = StrictCharField(
        max_length=services.MAX_USERNAME_LENGTH,
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
        return services.username_clean(value, user=self.instance)

    def validate_email(self, value: str) -> str:
        return services.email_clean(value, user=self.instance)

    def update(self, instance: User, validated_data: dict[str, Any]) -> User:
        return services.user_update(user=instance, **validated_data)


class RegistrationSerializer(AccountSerializer):
    """A sign-up: the account plus a password that Django's validators accept."""

    password = StrictCharField(write_only=True, style={"input_type": "password"}, trim_whitespace=False, max_length=128)

    class Meta(AccountSerializer.Meta):
        fields = [*AccountSerializer.Meta.fields, "password"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The would-be user lets UserAttributeSimilarityValidator compare the password with
        # the username and email.
        services.password_validate(
            attrs["password"], User(username=attrs["username"], email=attrs["email"]), "password"
        )
        return attrs

    def create(self, validated_data: dict[str, Any]) -> User:
        return services.user_register(**validated_data)


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


class LoginSerializer(TokenObtainPairSerializer):
    """A username and password, for a new session (`{access, refresh}`, see `users.tokens`)."""

    token_class = SessionRefreshToken

    class Meta:
        ref_name = "TokenObtainPair"


class RotatingTokenRefreshSerializer(TokenRefreshSerializer):
    """A refresh token to exchange for a new access and refresh pair."""

    default_error_messages = {
        "no_active_account": "This account no longer exists or is deactivated. Log in again.",
        "reused": "This refresh token was already used. Log in again.",
        "session_ended": "This session ended when the account's password changed. Log in again.",
        "session_expired": "This session is older than the longest a session may last. Log in again.",
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
        refresh = SessionRefreshToken(attrs["refresh"])
        user_id = refresh.payload.get(jwt_settings.USER_ID_CLAIM)
        user = User.objects.filter(**{jwt_settings.USER_ID_FIELD: user_id}).first()
        if user is None or not jwt_settings.USER_AUTHENTICATION_RULE(user):
            raise exceptions.AuthenticationFailed(str(self.error_messages["no_active_account"]), "no_active_account")
        if session_epoch_of(refresh) != user.session_epoch:
            raise exceptions.AuthenticationFailed(str(self.error_messages["session_ended"]), "session_ended")
        if session_end(refresh) <= refresh.current_time:
            raise exceptions.AuthenticationFailed(str(self.error_messages["session_expired"]), "session_expired")

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

            # The new token keeps the session's claims (epoch, start) and never outlives it.
            refresh.set_jti()
            refresh.set_exp()
            refresh.set_iat()
            cap_to_session(refresh)
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


def password_field(help_text: str) -> StrictCharField:
    return StrictCharField(
        write_only=True, style={"input_type": "password"}, trim_whitespace=False, max_length=128, help_text=help_text
    )


class SessionSerializer(serializers.Serializer):
    """A fresh session: an access and a refresh token."""

    access = serializers.CharField(read_only=True, help_text="Access token, for `Authorization: Bearer`.")
    refresh = serializers.CharField(read_only=True, help_text="Refresh token, for /api/auth/token/refresh/.")


class PasswordChangeSerializer(serializers.Serializer):
    """The current password and the new one."""

    current_password = password_field("Your password now.")
    new_password = password_field("The new password; Django's validators must accept it.")

    def validate_current_password(self, value: str) -> str:
        return services.password_check_current(self.context["request"].user, value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        services.password_validate(attrs["new_password"], self.context["request"].user)
        return attrs


class PasswordResetRequestSerializer(serializers.Serializer):
    """The email address of the account to reset."""

    email = StrictEmailField(max_length=254, help_text="The account's email address (letter case does not matter).")


class PasswordResetAcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField(read_only=True)


class PasswordResetConfirmSerializer(serializers.Serializer):
    """The `uid` and `token` of an emailed reset link, and the new password."""

    uid = StrictCharField(max_length=64, help_text="The `uid` parameter of the emailed link.")
    token = StrictCharField(max_length=128, help_text="The `token` parameter of the emailed link.")
    new_password = password_field("The new password; Django's validators must accept it.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The link is checked first: the validators compare the password with the account's
        # username and email, which a forged link must not get to probe.
        user = password_reset_user(uid=attrs["uid"], token=attrs["token"])
        if user is None:
            raise DjangoValidationError(
                {
                    "token": DjangoValidationError(
                        "This reset link is invalid, expired or already used. Ask for a new one.", code="invalid_token"
                    )
                }
            )
        services.password_validate(attrs["new_password"], user)
        return {**attrs, "user": user}


class PersonalAccessTokenSerializer(serializers.ModelSerializer):
    """A personal access token as its owner sees it: never its secret."""

    scopes = serializers.ListField(
        source="scope_list",
        child=serializers.ChoiceField(choices=PersonalAccessToken.Scope.choices),
        read_only=True,
        help_text="`read`, or `read` and `write` (`write` includes `read`).",
    )
    prefix = serializers.CharField(read_only=True, help_text="`mr_pat_` and the first 8 characters of the secret.")

    class Meta:
        model = PersonalAccessToken
        fields = ["id", "name", "scopes", "prefix", "created_at", "expires_at", "last_used_at"]
        read_only_fields = fields


class PersonalAccessTokenCreateSerializer(serializers.Serializer):
    """What a new token may do, what it is called and how long it lives."""

    name = StrictCharField(
        min_length=1, max_length=100, help_text="1 to 100 characters, unique (ignoring case) among your live tokens."
    )
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=PersonalAccessToken.Scope.choices),
        allow_empty=False,
        min_length=1,
        max_length=2,
        help_text="`read` (everything you may read), `write` (rating writes, rating imports, username "
        "changes; includes `read`).",
    )
    expires_in_days = serializers.IntegerField(
        min_value=1, max_value=365, default=90, help_text="Days until the token expires: 1 to 365, default 90."
    )


class PersonalAccessTokenCreatedSerializer(PersonalAccessTokenSerializer):
    """A token just created: the only response that ever contains its secret."""

    token = serializers.SerializerMethodField(
        help_text="The token to send as `Authorization: Bearer <token>`. Shown once."
    )

    class Meta(PersonalAccessTokenSerializer.Meta):
        fields = ["id", "name", "scopes", "token", "prefix", "created_at", "expires_at", "last_used_at"]
        read_only_fields = fields

    def get_token(self, obj: PersonalAccessToken) -> str:
        return str(self.context["secret"])
