"""The authentication state of bearer tokens, cached: a read with a token makes no database query.

Every request with `Authorization: Bearer` needs its user (a JWT names a user id; a personal
access token is looked up by its keyed hash, with its owner). Both are kept in the response
cache's store under the generation tag `auth:<user id>` (`config.cache.lookup_value`), so they
are dropped the way cached responses are, and with the same guarantees:

- The generations are read *before* the database is, so a fill that raced a write is stored
  under generations nobody asks for any more (`config.cache` closes that race for responses).
- Every change of a user row or of a token row invalidates `auth:<owner id>` after its commit
  (`users.signals` for saves and deletes, the services for their queryset updates), so a
  password change, a deactivation, a deletion or a revocation is a 401 on the very next request,
  in every process. An invalidation Redis cannot take bumps the global generation `all` until
  it can (`config.cache.invalidate`), which drops these entries too.
- Redis down, slow or holding something unreadable: the state is read from the database, as
  it was before this cache existed; a request never fails because of the cache.
- Values are JSON of field values, never pickles (whoever can write Redis must not get to run
  code here). Only usable states are stored: active users; tokens found, unrevoked, unexpired,
  with an active owner. Expiry is checked on every use, from the stored `expires_at`.

A cached user is a `User` built by `User.from_db` with every concrete field except the password
hash (not copied into Redis) and the rating counters (`ratings_count`, `ratings_sum`: moved by
every rating write, which does not invalidate this cache). Those are *deferred*: reading one
loads it from the database, and `save()` writes only the fields the instance holds, so a stale
counter can never be written back.

A personal token is found by its hash, but its entry lives under its owner's tag: a small
pointer `authpat:<hash>` (the owner's id, which never changes) is stored the first time the
token authenticates, and the token's entry (its row and its owner's) from the next time on.

`AUTH_STATE_CACHE` off (production without Redis, where every worker process would hold a
copy of its own that another's revocation cannot reach): every state is read from the database.
"""

import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, models
from django.utils import timezone

from config import cache
from users.models import PersonalAccessToken, User

# Fields a cached user does not carry: loaded on first access (see the module docstring).
DEFERRED_USER_FIELDS = frozenset({"password", "ratings_count", "ratings_sum"})
USER_FIELDS = [field for field in User._meta.concrete_fields if field.attname not in DEFERRED_USER_FIELDS]
TOKEN_FIELDS = list(PersonalAccessToken._meta.concrete_fields)

# Entries that cannot be decoded (a changed model after a deploy, an unexpected value) are a miss.
_DECODE_ERRORS = (KeyError, TypeError, ValueError, AttributeError)


def _encode(instance: models.Model, fields: list[Any]) -> dict[str, Any]:
    values = {}
    for field in fields:
        value = getattr(instance, field.attname)
        values[field.attname] = value.isoformat() if isinstance(value, datetime) else value
    return values


def _decode(model: Any, values: dict[str, Any], fields: list[Any]) -> Any:
    decoded = []
    for field in fields:
        value = values[field.attname]
        if value is not None and isinstance(field, models.DateTimeField):
            value = datetime.fromisoformat(value)
        decoded.append(value)
    return model.from_db(DEFAULT_DB_ALIAS, [field.attname for field in fields], decoded)


def _lookup(tags: list[str], name: str) -> tuple[bytes | None, cache.ValueSlot | None]:
    if not settings.AUTH_STATE_CACHE:
        return None, None
    return cache.lookup_value(tags, name)


def user_tags(user_id: int) -> list[str]:
    """The tags a user's cached state is stored under (besides `all`)."""
    return [cache.auth_tag(user_id)]


def user_value_name(user_id: int) -> str:
    """The name of a user's cached state (`config.cache.lookup_value`)."""
    return f"user:{user_id}"


def cached_user(entry: bytes, user_id: int) -> User | None:
    """The active user with this id that a stored entry holds; None if it holds anything else."""
    try:
        user: User = _decode(User, json.loads(entry)["user"], USER_FIELDS)
    except _DECODE_ERRORS:
        return None
    return user if user.pk == user_id and user.is_active else None


def user_by_id(user_id: int) -> User | None:
    """The user with this id (None if there is none): from the cache, else from the database.

    An inactive user is returned as such (the caller refuses it) but never stored.
    """
    entry, slot = _lookup(user_tags(user_id), user_value_name(user_id))
    if entry is not None and (user := cached_user(entry, user_id)) is not None:
        return user
    found = User.objects.filter(pk=user_id).first()
    if found is not None and found.is_active:
        cache.store_value(slot, json.dumps({"user": _encode(found, USER_FIELDS)}).encode())
    return found


def _pointer_key(key_hash: str) -> str:
    return f"authpat:{key_hash}"


class PersonalTokenState:
    """A personal access token found by its hash, with its owner (`token.owner`), and where its
    entry goes once the caller has found it usable (`remember`)."""

    def __init__(self, token: PersonalAccessToken, slot: cache.ValueSlot | None, cached: bool) -> None:
        self.token = token
        self.slot = slot
        self.cached = cached

    def usable(self, now: datetime) -> bool:
        token = self.token
        return token.revoked_at is None and token.expires_at > now and token.owner.is_active

    def remember(self) -> None:
        """Store the token and its owner as they are now (after a fill, or after `last_used_at`
        moved), under the generations read before the database was."""
        if self.slot is not None:
            value = {"token": _encode(self.token, TOKEN_FIELDS), "owner": _encode(self.token.owner, USER_FIELDS)}
            cache.store_value(self.slot, json.dumps(value).encode())


def personal_token(key_hash: str) -> PersonalTokenState | None:
    """The personal access token with this keyed hash and its owner (None if there is none)."""
    owner_id = _owner_of(key_hash)
    entry, slot = None, None
    if owner_id is not None:
        entry, slot = _lookup([cache.auth_tag(owner_id)], f"pat:{key_hash}")
    if entry is not None:
        try:
            values = json.loads(entry)
            token: PersonalAccessToken = _decode(PersonalAccessToken, values["token"], TOKEN_FIELDS)
            token.owner = _decode(User, values["owner"], USER_FIELDS)
        except _DECODE_ERRORS:
            pass
        else:
            state = PersonalTokenState(token, slot, cached=True)
            if token.key_hash == key_hash and token.owner_id == owner_id and state.usable(timezone.now()):
                return state
    found = PersonalAccessToken.objects.select_related("owner").filter(key_hash=key_hash).first()
    if found is None:
        return None
    if owner_id is None:
        _remember_owner(key_hash, found.owner_id)  # no slot yet: generations must be read before the query
    return PersonalTokenState(found, slot, cached=False)


def _owner_of(key_hash: str) -> int | None:
    if not settings.AUTH_STATE_CACHE:
        return None
    try:
        value = cache.store().get(_pointer_key(key_hash))
    except cache.CACHE_ERRORS as exc:
        cache.warn_cache_unavailable(exc)
        return None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _remember_owner(key_hash: str, owner_id: int) -> None:
    if not settings.AUTH_STATE_CACHE:
        return
    try:
        cache.store().set(_pointer_key(key_hash), str(owner_id).encode(), timeout=settings.CACHE_TTL)
    except cache.CACHE_ERRORS as exc:
        cache.warn_cache_unavailable(exc)
