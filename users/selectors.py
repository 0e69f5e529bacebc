"""Account reads that carry rules: who holds a name or an address, which account a reset link names.

The views and serializers ask these; they never filter `User` themselves.
"""

from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from users.models import User, users_matching


def user_holding(field: str, value: str, *, excluding: User | None = None) -> bool:
    """Whether an account other than `excluding` holds this username or email (any letter case)."""
    others = users_matching(field, value)
    if excluding is not None:
        others = others.exclude(pk=excluding.pk)
    return others.exists()


def password_reset_user(*, uid: str, token: str) -> User | None:
    """The active account a reset link was made for, or None for a used, expired or forged one."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uid)))
    except (ValueError, TypeError, OverflowError):
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, token):
        return None
    return user
