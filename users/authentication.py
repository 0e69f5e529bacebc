"""One authentication class for `Authorization: Bearer <token>`: JWT sessions and personal tokens.

The two are told apart by the personal tokens' fixed prefix (`mr_pat_`); a JWT can never start
with it (its first part is base64url JSON, `eyJ...`).

- A JWT is checked by simplejwt, and then against the user's `session_epoch`: a password change
  since the token was issued makes it a 401.
- A personal access token is found by its keyed hash (unique), with its owner. Revoked, expired,
  unknown or a deactivated owner's: 401. Its scopes are enforced here, for every view at once: a
  token without `write` sending anything but GET, HEAD or OPTIONS is a 403. `last_used_at` is
  written at most once a minute per token, by a conditional UPDATE.

The user a JWT names and the personal token with its owner come from the cache when it holds
them, else from the database (`users.authstate`): a cached read with a token runs no query.
"""

from typing import Any

from django.utils import timezone
from rest_framework import exceptions, permissions
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import Token

from users import authstate
from users.models import PERSONAL_ACCESS_TOKEN_PREFIX, PersonalAccessToken, User
from users.tokens import personal_access_token_hash, session_epoch_of


class PersonalTokenInvalid(exceptions.AuthenticationFailed):
    default_detail = "This personal access token is unknown, expired or revoked. Create a new one."
    default_code = "token_not_valid"


class InsufficientScope(exceptions.PermissionDenied):
    default_detail = "This personal access token has the read scope only: create one with the write scope to do this."
    default_code = "insufficient_scope"


class BearerAuthentication(JWTAuthentication):
    """`Authorization: Bearer <jwt>` or `Authorization: Bearer mr_pat_...` (see the module docstring).

    `request.auth` is the validated JWT, or the `PersonalAccessToken` instance.
    """

    def authenticate(self, request: Request) -> tuple[User, Any] | None:  # type: ignore[override]
        header = self.get_header(request)
        if header is None:
            return None
        raw = self.get_raw_token(header)
        if raw is None:
            return None
        if raw.startswith(PERSONAL_ACCESS_TOKEN_PREFIX.encode()):
            return self.authenticate_personal_token(request, raw.decode("ascii", errors="replace"))
        return super().authenticate(request)  # type: ignore[return-value]

    def get_user(self, validated_token: Token) -> User:  # type: ignore[override]
        """simplejwt's checks (the user exists and is active), on the cached user when there is one."""
        try:
            user_id = int(validated_token[jwt_settings.USER_ID_CLAIM])
        except KeyError as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        except (TypeError, ValueError) as exc:
            raise exceptions.AuthenticationFailed("User not found", code="user_not_found") from exc
        user = authstate.user_by_id(user_id)
        if user is None:
            raise exceptions.AuthenticationFailed("User not found", code="user_not_found")
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User is inactive", code="user_inactive")
        if session_epoch_of(validated_token) != user.session_epoch:
            raise exceptions.AuthenticationFailed(
                "This session ended when the account's password changed. Log in again.", code="session_ended"
            )
        return user

    def authenticate_personal_token(self, request: Request, raw: str) -> tuple[User, PersonalAccessToken]:
        state = authstate.personal_token(personal_access_token_hash(raw))
        now = timezone.now()
        if state is None or not state.usable(now):
            raise PersonalTokenInvalid()
        token = state.token
        if request.method not in permissions.SAFE_METHODS and PersonalAccessToken.Scope.WRITE not in token.scope_list:
            raise InsufficientScope()
        if self.touch(token, now) or not state.cached:
            state.remember()  # a usable token read from the database, or its new last_used_at
        return token.owner, token

    @staticmethod
    def touch(token: PersonalAccessToken, now: Any) -> bool:
        """Record the use, to the minute: no write while the stored time is less than a minute old,
        and of concurrent requests at most one writes (the UPDATE re-checks staleness). True when
        `token.last_used_at` moved (the cached copy is then stored again with it)."""
        stale_before = now - PersonalAccessToken.LAST_USED_RESOLUTION
        if token.last_used_at is not None and token.last_used_at > stale_before:
            return False
        PersonalAccessToken.objects.filter(pk=token.pk).exclude(last_used_at__gt=stale_before).update(last_used_at=now)
        token.last_used_at = now
        return True


def is_personal_token(request: Request) -> bool:
    """Whether the request authenticated with a personal access token (not a password session)."""
    return isinstance(request.auth, PersonalAccessToken)


class PasswordSessionRequired(permissions.BasePermission):
    """Refuses personal access tokens: what they may never do needs a password session (SPEC 12)."""

    message = (
        "Personal access tokens cannot manage tokens, change the password or email, or delete the account. "
        "Log in with your password and use that access token."
    )
    code = "password_session_required"

    def has_permission(self, request: Request, view: Any) -> bool:
        return not is_personal_token(request)
