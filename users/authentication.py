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

A JWT whose signature was verified is remembered per process (`VerifiedTokens`, bounded): the
next request with the same token skips PyJWT's decode and signature check, but its claims are
checked again every time (`exp` against the clock, the token type, its id), and the user's
state (exists, active, session epoch) is read for every request as before, so a revoked or
expired token is a 401 on the very next request.
"""

import copy
import threading
from collections import OrderedDict
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone
from rest_framework import exceptions, permissions
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import aware_utcnow

from users import authstate
from users.models import PERSONAL_ACCESS_TOKEN_PREFIX, PersonalAccessToken, User
from users.tokens import personal_access_token_hash, session_epoch_of


class PersonalTokenInvalid(exceptions.AuthenticationFailed):
    default_detail = "This personal access token is unknown, expired or revoked. Create a new one."
    default_code = "token_not_valid"


class InsufficientScope(exceptions.PermissionDenied):
    default_detail = "This personal access token has the read scope only: create one with the write scope to do this."
    default_code = "insufficient_scope"


class VerifiedTokens:
    """JWTs whose signature and claims were verified in this process, by their encoded form: at most
    `size` of them, the least recently used dropped first, so a flood of distinct valid tokens
    cannot grow memory.

    What is remembered is only that these exact bytes carry a valid signature (the key includes
    the signature, so a token altered in any byte is verified afresh). A remembered token is
    handed out as a copy whose claims are verified again now (`Token.verify`: `exp` against the
    current time with simplejwt's leeway, the token type, the id claim); `nbf` and `iat`, checked
    by PyJWT's decode, only become truer with time. A token that fails is forgotten.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._tokens: OrderedDict[bytes, Token] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._tokens)

    def get(self, raw: bytes) -> Token | None:
        """A fresh copy of the remembered token, its claims verified now; None if it is not
        remembered. Raises TokenError (and forgets the token) if its claims fail now."""
        with self._lock:
            remembered = self._tokens.get(raw)
            if remembered is None:
                return None
            self._tokens.move_to_end(raw)
        token = _copy(remembered)
        token.current_time = aware_utcnow()
        try:
            token.verify()
        except TokenError:
            self.forget(raw)
            raise
        return token

    def remember(self, raw: bytes, token: Token) -> None:
        token = _copy(token)  # never shared with a request: none can change what is remembered
        with self._lock:
            self._tokens[raw] = token
            self._tokens.move_to_end(raw)
            while len(self._tokens) > self.size:
                self._tokens.popitem(last=False)

    def forget(self, raw: bytes) -> None:
        with self._lock:
            self._tokens.pop(raw, None)

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


def _copy(token: Token) -> Token:
    duplicate = copy.copy(token)
    duplicate.payload = dict(token.payload)
    return duplicate


# About 2 KB each (the token, its payload): a few MB at most per process.
VERIFIED_TOKENS_SIZE = 2048
verified_tokens = VerifiedTokens(VERIFIED_TOKENS_SIZE)


@receiver(setting_changed)
def _forget_verified_tokens(setting: str, **kwargs: Any) -> None:
    """A changed signing key or token setting (tests) makes every remembered verdict stale."""
    if setting in ("SIMPLE_JWT", "SECRET_KEY"):
        verified_tokens.clear()


# Set on a Django request by `users.hits` when it authenticated the bearer token (the same checks
# as below) but could not serve the response from the cache: (raw token, user, validated token).
AUTHENTICATED_ATTRIBUTE = "bearer_authenticated"


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
        authenticated = getattr(request._request, AUTHENTICATED_ATTRIBUTE, None)
        if authenticated is not None and authenticated[0] == raw:
            return authenticated[1], authenticated[2]  # this request's token, checked by users.hits
        return super().authenticate(request)  # type: ignore[return-value]

    def get_validated_token(self, raw_token: bytes) -> Token:
        """simplejwt's validation, skipping the signature check of a token verified before in this
        process (`VerifiedTokens`); its claims are checked again either way."""
        try:
            token = verified_tokens.get(raw_token)
        except TokenError:
            token = None  # expired since: simplejwt's own validation gives its exact 401
        if token is not None:
            return token
        token = super().get_validated_token(raw_token)
        verified_tokens.remember(raw_token, token)
        return token

    def get_user(self, validated_token: Token) -> User:  # type: ignore[override]
        """simplejwt's checks (the user exists and is active), on the cached user when there is one."""
        try:
            user_id = int(validated_token[jwt_settings.USER_ID_CLAIM])
        except KeyError as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        except (TypeError, ValueError) as exc:
            raise exceptions.AuthenticationFailed("User not found", code="user_not_found") from exc
        user = authstate.user_by_id(user_id)
        self.check_user(user, validated_token)
        assert user is not None
        return user

    @staticmethod
    def check_user(user: User | None, validated_token: Token) -> None:
        """The 401 a JWT's user gets: none, inactive, or a session its password change ended."""
        if user is None:
            raise exceptions.AuthenticationFailed("User not found", code="user_not_found")
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User is inactive", code="user_inactive")
        if session_epoch_of(validated_token) != user.session_epoch:
            raise exceptions.AuthenticationFailed(
                "This session ended when the account's password changed. Log in again.", code="session_ended"
            )

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
