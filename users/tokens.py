"""The credentials this service issues: JWT sessions and personal access token secrets.

A JWT session starts at a password login and lives on through refresh-token rotation. Two claims
bound it (SPEC section 2, Auth):

- `session_epoch`: the user's `session_epoch` when the session started. A password change bumps
  the user's epoch (`User.save`), so every refresh and access token issued before it is refused.
- `session_start`: when the login happened (seconds since the epoch), carried unchanged through
  every rotation. No token of the session expires after `session_start + JWT_SESSION_DAYS`, and a
  refresh past that point is refused: the user logs in again.

Tokens issued before these claims existed count as epoch 0 and as starting at their own `iat`.
"""

import hashlib
import hmac
import secrets
from datetime import datetime

from django.conf import settings
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token
from rest_framework_simplejwt.utils import datetime_from_epoch, datetime_to_epoch

from users.models import PERSONAL_ACCESS_TOKEN_PREFIX, PERSONAL_ACCESS_TOKEN_PREFIX_CHARS, User

SESSION_EPOCH_CLAIM = "session_epoch"
SESSION_START_CLAIM = "session_start"


def session_epoch_of(token: Token) -> int:
    return int(token.get(SESSION_EPOCH_CLAIM, 0))


def session_end(token: Token) -> datetime:
    """When the session this token belongs to ends, whatever its rotations."""
    started = int(token.get(SESSION_START_CLAIM, token["iat"]))
    return datetime_from_epoch(started) + settings.JWT_SESSION_LIFETIME


def cap_to_session(token: Token) -> None:
    """Make `token` expire no later than its session does."""
    token["exp"] = min(int(token["exp"]), datetime_to_epoch(session_end(token)))


class SessionRefreshToken(RefreshToken):
    """A refresh token that carries its session's epoch and start (see the module docstring)."""

    @classmethod
    def for_user(cls, user: User) -> "SessionRefreshToken":  # type: ignore[override]
        """A new session for `user`: a refresh token recorded as outstanding, so it can be blacklisted."""
        token = cls()
        token[jwt_settings.USER_ID_CLAIM] = str(user.pk)
        token[SESSION_EPOCH_CLAIM] = user.session_epoch
        token[SESSION_START_CLAIM] = token["iat"]
        cap_to_session(token)
        OutstandingToken.objects.create(
            user=user,
            jti=token[jwt_settings.JTI_CLAIM],
            token=str(token),
            created_at=token.current_time,
            expires_at=datetime_from_epoch(token["exp"]),
        )
        return token

    @property
    def access_token(self) -> AccessToken:
        access = super().access_token
        cap_to_session(access)
        return access


def session_pair(user: User) -> dict[str, str]:
    """`{access, refresh}` for a new session of `user`."""
    refresh = SessionRefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


# --- Personal access tokens -------------------------------------------------------------------


def new_personal_access_token() -> str:
    """A fresh token: the recognisable prefix, then 32 random bytes (43 URL-safe characters)."""
    return PERSONAL_ACCESS_TOKEN_PREFIX + secrets.token_urlsafe(32)


def personal_access_token_hash(token: str) -> str:
    """The keyed hash stored for a token (HMAC-SHA256, hex).

    Keyed so that a copy of the database alone does not let anyone check guesses; the secret has
    256 random bits, so no slow hash is needed.
    """
    key = (settings.PERSONAL_ACCESS_TOKEN_HASH_KEY or settings.SECRET_KEY).encode()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def personal_access_token_prefix(token: str) -> str:
    """The public part that identifies a token: `mr_pat_` and the secret's first 8 characters."""
    return token[: len(PERSONAL_ACCESS_TOKEN_PREFIX) + PERSONAL_ACCESS_TOKEN_PREFIX_CHARS]
