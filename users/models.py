"""Accounts. The custom user model carries the rating statistics shown on public profiles."""

import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower

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

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="users_user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), condition=~models.Q(email=""), name="users_user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(ratings_sum__gte=0) & models.Q(ratings_sum__lte=models.F("ratings_count") * 5),
                name="users_user_ratings_sum_in_range",
            ),
        ]

    @property
    def average_score(self) -> Decimal | None:
        """Mean of the user's scores, rounded half-up to 2 decimals; None without ratings."""
        if not self.ratings_count:
            return None
        return (Decimal(self.ratings_sum) / self.ratings_count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
