"""Account writes and their rules: sign-up and account changes (username and email rules),
passwords, their reset by email, personal access tokens. Rule violations raise Django's
ValidationError naming the field (config.api.errors makes it a 400).

Used by the API and meant for the website's pages too. Each is one transaction. Ending sessions
on a password change is not done here but in `User.save` (every path that sets a password
reaches it: these services, the admin, `changepassword`).
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from audit.actions import Action
from audit.services import audit_record
from config.cache import auth_tag, invalidate_on_commit
from users.models import IMPORTED_USERNAME_PREFIX, RESERVED_USERNAMES, PersonalAccessToken, User, normalise_username
from users.selectors import user_holding
from users.tokens import (
    new_personal_access_token,
    personal_access_token_hash,
    personal_access_token_prefix,
    session_pair,
)

logger = logging.getLogger(__name__)

# The website's page that takes `uid` and `token` and asks for the new password; the API's
# confirm endpoint does the rest (docs/users.md).
PASSWORD_RESET_PAGE = "/account/reset/"
# A user holds at most this many live (unrevoked, unexpired) personal access tokens.
MAX_LIVE_TOKENS = 20


# --- Accounts ---------------------------------------------------------------------------------

MAX_USERNAME_LENGTH = 150

TAKEN_MESSAGES = {
    "username": "This username is taken (letter case does not matter). Choose another one.",
    "email": "An account with this email address exists (letter case does not matter). Log in or use another one.",
}


@contextmanager
def duplicates_as_validation_errors() -> Iterator[None]:
    """Turn a unique-constraint violation on username or email into a 400 naming the field.

    The rules below check uniqueness first; this catches the sign-up or rename that a
    concurrent request committed in between, which the Lower() constraints reject.
    """
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        message = str(exc)
        for field in ("username", "email"):
            if f"users_user_{field}" in message or f"users_user.{field}" in message:
                raise ValidationError({field: ValidationError(TAKEN_MESSAGES[field], code="unique")}) from exc
        raise


def username_clean(value: str, *, user: User | None = None) -> str:
    """The username as it will be stored, for a sign-up (`user` None) or a rename of `user`.

    Every rule sees the name as it will be stored (NFKC), so compatibility forms such as
    full-width letters cannot take a reserved or taken name (SPEC section 8).
    """
    value = normalise_username(value)
    if len(value) > MAX_USERNAME_LENGTH:
        raise ValidationError(
            f"Ensure this field has no more than {MAX_USERNAME_LENGTH} characters.", code="max_length"
        )
    UnicodeUsernameValidator()(value)
    if user is not None and value == user.username:
        return value
    lowered = value.casefold()
    if lowered.startswith(IMPORTED_USERNAME_PREFIX) or value.lower().startswith(IMPORTED_USERNAME_PREFIX):
        raise ValidationError(
            f"Usernames starting with {IMPORTED_USERNAME_PREFIX!r} are reserved for imported accounts. "
            "Choose another one.",
            code="reserved",
        )
    if lowered in RESERVED_USERNAMES or value.lower() in RESERVED_USERNAMES:
        raise ValidationError("This username is reserved. Choose another one.", code="reserved")
    if user_holding("username", value, excluding=user):
        raise ValidationError(TAKEN_MESSAGES["username"], code="unique")
    return value


def email_clean(value: str, *, user: User | None = None) -> str:
    """The email as it will be stored (domain lower-cased), free for a sign-up or for `user`."""
    value = BaseUserManager.normalize_email(value)
    if (user is None or value.lower() != user.email.lower()) and user_holding("email", value, excluding=user):
        raise ValidationError(TAKEN_MESSAGES["email"], code="unique")
    return value


def password_validate(password: str, user: User, field: str = "new_password") -> str:
    """Run the password validators against `user` (a would-be user for a sign-up); a refusal
    names `field`."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({field: exc.error_list}) from exc
    return password


def password_check_current(user: User, password: str) -> str:
    if not user.check_password(password):
        raise ValidationError("This is not your current password.", code="wrong_password")
    return password


def user_register(*, username: str, email: str, password: str) -> User:
    """A new account (fields already cleaned and the password validated)."""
    with duplicates_as_validation_errors():
        return User.objects.create_user(username=username, email=email, password=password)


def user_update(*, user: User, **fields: Any) -> User:
    """Change the caller's own username and/or email (already cleaned)."""
    for name, value in fields.items():
        setattr(user, name, value)
    with duplicates_as_validation_errors():
        user.save()
    return user


def user_password_change(*, user: User, new_password: str, request: Any = None) -> dict[str, str]:
    """Set a new password (already validated); every session and personal token of the user ends.

    Returns `{access, refresh}`: a fresh session for the caller, minted after the change.
    Audited in the same transaction (`request` gives the address and request id).
    """
    with transaction.atomic():
        user.set_password(new_password)
        user.save()
        audit_record(action=Action.USER_PASSWORD_CHANGE, request=request, actor=user, target=user)
        return session_pair(user)


# --- Password reset by email ------------------------------------------------------------------


def password_reset_link(user: User) -> str:
    """The single-use link to the website's reset page, built from `PUBLIC_BASE_URL`."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return f"{settings.PUBLIC_BASE_URL}{PASSWORD_RESET_PAGE}?uid={uid}&token={token}"


def password_reset_email_send(*, email: str) -> int:
    """Email a reset link to each active account with this address that can log in with a
    password (at most one: emails are unique). Returns how many emails went out.

    Runs off the request path (`users.tasks`), so that whether the address is known shows
    neither in the answer nor in its timing.
    """
    if settings.EMAIL_BACKEND.endswith("dummy.EmailBackend"):
        logger.warning("EMAIL_URL is not set: password reset emails are discarded")
    users = User.objects.filter(email__iexact=email, is_active=True)
    sent = 0
    for user in users:
        if not user.has_usable_password():
            continue  # imported accounts, and accounts whose password login staff disabled
        context: dict[str, Any] = {
            "service_name": settings.SERVICE_NAME,
            "username": user.username,
            "link": password_reset_link(user),
            "hours": f"{settings.PASSWORD_RESET_HOURS:g}",
        }
        message = EmailMultiAlternatives(
            subject=render_to_string("users/email/password_reset_subject.txt", context).strip(),
            body=render_to_string("users/email/password_reset.txt", context),
            to=[user.email],
        )
        message.attach_alternative(render_to_string("users/email/password_reset.html", context), "text/html")
        message.send()
        sent += 1
        logger.info("password reset email sent", extra={"user_id": user.pk})
    return sent


def password_reset_confirm(*, user: User, new_password: str, request: Any = None) -> None:
    """Set the new password (already validated) of the account a valid link named.

    The link stops working (the token covers the password hash) and every session and
    personal token of the user ends. Audited in the same transaction.
    """
    with transaction.atomic():
        user.set_password(new_password)
        user.save()
        audit_record(action=Action.USER_PASSWORD_RESET, request=request, actor=user, target=user)


# --- Personal access tokens -------------------------------------------------------------------


def token_create(
    *, owner: User, name: str, scopes: list[str], expires_in_days: int, request: Any = None
) -> tuple[PersonalAccessToken, str]:
    """Create a personal access token; returns it and its secret (shown to the user once).

    The owner's row is locked so that concurrent creations count live tokens one at a time.
    An expired, unrevoked token of the same name is revoked first: it is dead already, and
    the name is the user's to reuse.
    """
    name_taken = ValidationError(
        {"name": ValidationError("You already have a token with this name. Choose another one.", code="unique")}
    )
    secret = new_personal_access_token()
    now = timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=owner.pk).first()
        mine = PersonalAccessToken.objects.filter(owner=owner)
        if mine.unrevoked().filter(name__iexact=name, expires_at__lte=now).update(revoked_at=now):
            invalidate_on_commit(auth_tag(owner.pk))  # a queryset update sends no signal
        if mine.unrevoked().filter(name__iexact=name).exists():
            raise name_taken
        if mine.live().count() >= MAX_LIVE_TOKENS:
            raise ValidationError(
                f"You have {MAX_LIVE_TOKENS} live tokens, the most allowed. Revoke one you no longer use first.",
                code="too_many_tokens",
            )
        try:
            with transaction.atomic():
                token = PersonalAccessToken.objects.create(
                    owner=owner,
                    name=name,
                    scopes=" ".join(normalised_scopes(scopes)),
                    key_hash=personal_access_token_hash(secret),
                    prefix=personal_access_token_prefix(secret),
                    created_at=now,
                    expires_at=now + timedelta(days=expires_in_days),
                )
        except IntegrityError as exc:  # the name constraint; the lock makes this unlikely
            raise name_taken from exc
        details = {"prefix": token.prefix, "scopes": token.scopes, "expires_at": token.expires_at.isoformat()}
        audit_record(action=Action.TOKEN_CREATE, request=request, actor=owner, target=token, details=details)
    return token, secret


def normalised_scopes(scopes: list[str]) -> list[str]:
    """`write` includes `read`: the stored grant is either `read` or `read write`."""
    return ["read", "write"] if "write" in scopes else ["read"]


def token_revoke(*, token: PersonalAccessToken, request: Any = None) -> None:
    """Revoke a token for good: it stops working at once and leaves its owner's list.

    Audited with who revoked it (the owner, or staff in the admin) when it was still live.
    """
    with transaction.atomic():
        revoked = PersonalAccessToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now())
        if revoked:
            invalidate_on_commit(auth_tag(token.owner_id))  # a queryset update sends no signal
            details = {"prefix": token.prefix, "owner": token.owner.username}
            audit_record(action=Action.TOKEN_REVOKE, request=request, target=token, details=details)
