"""Cache invalidation for accounts (the only thing signals do here).

Usernames appear in the cached rating lists of every movie a user rated, and deleting a user
changes many movies' statistics, so a rename or a deletion drops every cached response. A
change of `date_joined` (admin only) shows on the user's own profile alone. Other saves
(`last_login`, email, password, flags) change nothing public.

Every save or deletion of a user or of a personal access token also drops the cached
authentication state of that account (`auth:<user id>`, `users.authstate`), fixture loads
included: a password change, a deactivation, a deletion or a revocation is a 401 on the next
request. Queryset updates send no signal: the code that issues one on either table invalidates
that tag itself (`users.services`, `users.models.User._end_sessions` runs inside a save).
"""

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from config.cache import ALL, auth_tag, invalidate_on_commit, user_tag
from users.models import PersonalAccessToken, User

PUBLIC_FIELDS = ("username", "date_joined")


def _stale_tags(instance: User, update_fields: Any) -> list[str]:
    """The cache tags a save of `instance` makes stale, comparing it with the stored row."""
    if instance._state.adding or (update_fields is not None and not set(PUBLIC_FIELDS) & set(update_fields)):
        return []
    stored = User.objects.filter(pk=instance.pk).values(*PUBLIC_FIELDS).first()
    if stored is None:
        return []
    if stored["username"] != instance.username:
        return [ALL]
    if stored["date_joined"] != instance.date_joined:
        return [user_tag(instance.username)]
    return []


@receiver(pre_save, sender=User, dispatch_uid="users_find_stale_tags")
def find_stale_tags(sender: type[User], instance: User, raw: bool, update_fields: Any, **kwargs: Any) -> None:
    # Compared before the save overwrites the row; invalidated after it (post_save), so the
    # invalidation can never run before the new data is written.
    instance._stale_tags = [] if raw else _stale_tags(instance, update_fields)  # type: ignore[attr-defined]


@receiver(post_save, sender=User, dispatch_uid="users_invalidate_on_save")
def invalidate_on_save(sender: type[User], instance: User, **kwargs: Any) -> None:
    invalidate_on_commit(auth_tag(instance.pk), *getattr(instance, "_stale_tags", []))


@receiver(post_delete, sender=User, dispatch_uid="users_invalidate_on_delete")
def invalidate_on_delete(sender: type[User], instance: User, **kwargs: Any) -> None:
    invalidate_on_commit(ALL, auth_tag(instance.pk))


@receiver(post_save, sender=PersonalAccessToken, dispatch_uid="users_tokens_invalidate_on_save")
@receiver(post_delete, sender=PersonalAccessToken, dispatch_uid="users_tokens_invalidate_on_delete")
def invalidate_token_owner(sender: type[PersonalAccessToken], instance: PersonalAccessToken, **kwargs: Any) -> None:
    invalidate_on_commit(auth_tag(instance.owner_id))
