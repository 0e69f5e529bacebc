"""Password rules beyond Django's four default validators (SPEC section 8).

They are ordinary `AUTH_PASSWORD_VALIDATORS`, so every path that validates a password (sign-up,
the admin's forms, `changepassword`, password change and reset) applies them.
"""

from typing import Any

from django.core.exceptions import ValidationError

from users.models import normalise_username

MIN_USERNAME_IN_PASSWORD = 3
MIN_EMAIL_LOCAL_PART_IN_PASSWORD = 4
STAFF_MIN_LENGTH = 10


def _folded(text: str) -> str:
    return normalise_username(text).casefold()


class NotOnlyWhitespaceValidator:
    """Refuses a password made only of whitespace (eight spaces pass Django's own validators)."""

    def validate(self, password: str, user: Any = None) -> None:
        if not password.strip():
            raise ValidationError("The password cannot be only spaces or other whitespace.", code="password_blank")

    def get_help_text(self) -> str:
        return "Your password cannot be only whitespace."


class NoIdentityValidator:
    """Refuses a password that contains the username (3+ characters) or the email's local part (4+),
    ignoring case and compatibility forms. Django's similarity validator misses `xalice2024x`."""

    def validate(self, password: str, user: Any = None) -> None:
        if user is None:
            return
        folded = _folded(password)
        username = _folded(str(getattr(user, "username", "") or ""))
        if len(username) >= MIN_USERNAME_IN_PASSWORD and username in folded:
            raise ValidationError("The password cannot contain your username.", code="password_contains_username")
        local_part = _folded(str(getattr(user, "email", "") or "")).rpartition("@")[0]
        if len(local_part) >= MIN_EMAIL_LOCAL_PART_IN_PASSWORD and local_part in folded:
            raise ValidationError(
                "The password cannot contain the part of your email address before the @.",
                code="password_contains_email",
            )

    def get_help_text(self) -> str:
        return "Your password cannot contain your username or the part of your email address before the @."


class StaffMinimumLengthValidator:
    """Staff accounts (which can reach the admin) need at least STAFF_MIN_LENGTH characters."""

    def validate(self, password: str, user: Any = None) -> None:
        if user is not None and getattr(user, "is_staff", False) and len(password) < STAFF_MIN_LENGTH:
            raise ValidationError(
                f"Staff passwords must contain at least {STAFF_MIN_LENGTH} characters.", code="password_too_short"
            )

    def get_help_text(self) -> str:
        return f"Staff passwords must contain at least {STAFF_MIN_LENGTH} characters."
