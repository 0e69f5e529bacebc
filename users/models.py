"""Accounts and their personal access tokens.

The custom user model carries the rating statistics shown on public profiles and the session
epoch that ends every session when the password changes.
"""

import unicodedata
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import AbstractUser
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils import timezone

# Accounts created by the MovieLens importer are named `movielens-<userId>`; sign-ups cannot
# take the prefix in any letter case.
IMPORTED_USERNAME_PREFIX = "movielens-"
# Names that would collide with fixed paths under /api/users/.
RESERVED_USERNAMES = frozenset({"me"})
# What a username in a URL may look like (Django's UnicodeUsernameValidator's characters).
USERNAME_PATTERN = r"[\w.@+-]+"


def normalise_username(username: str) -> str:
    """The name every username rule sees: Unicode NFKC, as Django stores usernames.

    Full-width and other compatibility forms collapse to their plain letters, so full-width `me` is `me`
    and cannot slip past the reserved names, uniqueness or the login.
    """
    return unicodedata.normalize("NFKC", username)


def users_matching(field: str, value: str) -> "models.QuerySet[User]":
    """Users whose `field` equals `value` ignoring case, as the Lower() unique constraints see it."""
    return User.objects.alias(matched=Lower(field)).filter(matched=Lower(models.Value(value)))


def user_named(username: str) -> "models.QuerySet[User]":
    """The account a username (any letter case, any compatibility form) names, as a queryset."""
    return users_matching("username", normalise_username(username))


class User(AbstractUser):
    """An account. Usernames and emails are unique whatever their letter case.

    `ratings_count` and `ratings_sum` are maintained by the ratings service in the same
    transaction as every rating write, so profiles never aggregate the ratings table.
    """

    ratings_count = models.PositiveIntegerField(default=0, editable=False)
    ratings_sum = models.DecimalField(max_digits=12, decimal_places=1, default=Decimal(0), editable=False)
    session_epoch = models.PositiveIntegerField(
        default=0,
        db_default=0,  # raw inserts (the PostgreSQL importer's) need not name it
        editable=False,
        help_text="Bumped by every password change; tokens carrying an older epoch are refused.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="users_user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), condition=~models.Q(email=""), name="users_user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(ratings_sum__gte=0) & models.Q(ratings_sum__lte=models.F("ratings_count") * 5),
                name="users_user_ratings_sum_in_range",
            ),
        ]

    # Set by set_password() and set_unusable_password(); read and cleared by save().
    _ends_sessions = False

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self._ends_sessions = True

    def set_unusable_password(self) -> None:
        super().set_unusable_password()
        self._ends_sessions = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; a changed password also ends every session and personal token of the account.

        Every path that changes a password (the API, the reset, the admin's forms,
        `changepassword`, a script calling `set_password`) ends in this save, so the rule lives
        here rather than in each caller. The rehash Django does on login after a hasher upgrade
        (`check_password`'s setter clears `_password`) is the same password and ends nothing.

        The epoch only ever moves by `F() + 1`, never by a save (see `_do_update`).
        """
        password_changed = (
            not self._state.adding
            and getattr(self, "_ends_sessions", False)
            and (getattr(self, "_password", None) is not None or self.password.startswith(UNUSABLE_PASSWORD_PREFIX))
        )
        if password_changed:
            with transaction.atomic(using=kwargs.get("using")):
                super().save(*args, **kwargs)
                self._end_sessions()
        else:
            super().save(*args, **kwargs)
        self._ends_sessions = False

    def _do_update(self, base_qs: Any, using: Any, pk_val: Any, values: Any, *args: Any, **kwargs: Any) -> Any:
        # An UPDATE from save() never writes `session_epoch`: an instance loaded before a
        # password change and saved after it (a concurrent PATCH of /me) must not put the old
        # epoch back and revive the sessions the change ended. (Django's hook for the UPDATE a
        # save issues; INSERTs still write the default.)
        values = [value for value in values if value[0].attname != "session_epoch"]
        return super()._do_update(base_qs, using, pk_val, values, *args, **kwargs)

    def _end_sessions(self) -> None:
        User.objects.filter(pk=self.pk).update(session_epoch=models.F("session_epoch") + 1)
        self.session_epoch = User.objects.values_list("session_epoch", flat=True).get(pk=self.pk)
        self.personal_access_tokens.filter(revoked_at=None).update(revoked_at=timezone.now())

    @property
    def average_score(self) -> Decimal | None:
        """Mean of the user's scores, rounded half-up to 2 decimals; None without ratings."""
        if not self.ratings_count:
            return None
        return (Decimal(self.ratings_sum) / self.ratings_count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# A personal access token is this fixed, recognisable prefix (secret scanners look for it)
# followed by the secret: 32 random bytes in URL-safe base64.
PERSONAL_ACCESS_TOKEN_PREFIX = "mr_pat_"
# How many characters of the secret `prefix` shows, to tell a user's tokens apart.
PERSONAL_ACCESS_TOKEN_PREFIX_CHARS = 8


class PersonalAccessTokenQuerySet(models.QuerySet["PersonalAccessToken"]):
    def unrevoked(self) -> "PersonalAccessTokenQuerySet":
        """Tokens not revoked: listed to their owner (expired ones included, until revoked)."""
        return self.filter(revoked_at=None)

    def live(self) -> "PersonalAccessTokenQuerySet":
        """Tokens that still authenticate: neither revoked nor expired."""
        return self.unrevoked().filter(expires_at__gt=timezone.now())


class PersonalAccessToken(models.Model):
    """A long-lived, scoped credential for scripts and integrations (SPEC section 12).

    Only a keyed hash of the token is stored (`key_hash`, HMAC-SHA256 under
    `PERSONAL_ACCESS_TOKEN_HASH_KEY`); the token itself is shown once, when it is created.
    `prefix` (`mr_pat_` and the secret's first 8 characters) identifies it in lists and the
    admin. A password change revokes every token of the user (`User.save`).
    """

    class Scope(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Write"

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="personal_access_tokens")
    name = models.CharField(max_length=100)
    # "read" or "read write": `write` includes `read`, so those are the only two grants.
    scopes = models.CharField(max_length=20)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=len(PERSONAL_ACCESS_TOKEN_PREFIX) + PERSONAL_ACCESS_TOKEN_PREFIX_CHARS)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = PersonalAccessTokenQuerySet.as_manager()

    # How stale `last_used_at` may get before a request writes it again.
    LAST_USED_RESOLUTION = timedelta(minutes=1)

    class Meta:
        verbose_name = "personal access token"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="users_pat_owner_created")]
        constraints = [
            models.UniqueConstraint(
                "owner",
                Lower("name"),
                condition=models.Q(revoked_at=None),
                name="users_pat_name_ci_unique_unrevoked",
                violation_error_message="You already have a token with this name.",
            ),
            models.CheckConstraint(
                condition=models.Q(scopes__in=["read", "read write"]), name="users_pat_scopes_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")), name="users_pat_expires_after_creation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()
