"""The cached authentication state of bearer tokens (users.authstate): a cached read with a JWT or
a personal token runs no query, and every change that ends a token is a 401 on the next request,
cached state or not."""

import json
import os
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.test import APIClient

from config import cache as response_cache
from conftest import client_for
from users.models import PersonalAccessToken, User
from users.services import token_create, token_revoke
from users.tests.factories import UserFactory
from users.tests.helpers import PASSWORD, assert_problem

pytestmark = pytest.mark.django_db

ME = reverse("user-me")


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def profile(username: str) -> str:
    return reverse("user-detail", kwargs={"username": username})


@pytest.fixture
def alice(db) -> User:
    return UserFactory.create(username="alice")


@pytest.fixture
def jwt_client(alice) -> APIClient:
    return client_for(alice)


@pytest.fixture
def pat_client(alice) -> APIClient:
    _, secret = token_create(owner=alice, name="script", scopes=["read"], expires_in_days=30)
    return bearer(secret)


@pytest.fixture(params=["jwt", "pat"])
def token_client(request, jwt_client, pat_client) -> APIClient:
    """A client of alice's with a JWT, then with a personal access token."""
    return jwt_client if request.param == "jwt" else pat_client


def warm(client: APIClient, url: str) -> None:
    """Fill the response and the authentication state (a personal token needs two uses: the first
    learns its owner, the second stores it under the owner's generations)."""
    for _ in range(3):
        assert client.get(url).status_code == 200


# --- No query on a cached read ------------------------------------------------------------------


@pytest.mark.parametrize("url", [profile("alice"), reverse("user-ratings", kwargs={"username": "alice"})])
def test_a_cached_public_read_with_a_token_runs_no_query(token_client, url, django_assert_num_queries):
    warm(token_client, url)
    with django_assert_num_queries(0):
        response = token_client.get(url)
    assert response["X-Cache"] == "HIT"


def test_without_the_cache_a_jwt_costs_one_query_for_its_user(jwt_client, django_assert_num_queries, monkeypatch):
    warm(jwt_client, profile("alice"))
    monkeypatch.setattr(response_cache, "lookup_value", lambda tags, name: (None, None))
    lookup_hit = response_cache.lookup_hit  # the hit served ahead of DRF (users.hits) reads it there
    monkeypatch.setattr(
        response_cache, "lookup_hit", lambda tags, base, *value: lookup_hit(tags, base)._replace(value=None)
    )
    with django_assert_num_queries(1):
        assert jwt_client.get(profile("alice")).status_code == 200


def test_the_cached_user_is_a_full_user_whose_counters_load_when_read(jwt_client, alice):
    warm(jwt_client, ME)
    User.objects.filter(pk=alice.pk).update(ratings_count=3, ratings_sum=12)  # as a rating write does
    assert jwt_client.get(ME).json()["ratings_count"] == 3
    assert jwt_client.patch(ME, {"email": "alice@example.org"}, format="json").status_code == 200
    alice.refresh_from_db()
    # The save wrote what changed and not the counters the cached copy never held.
    assert (alice.email, alice.ratings_count, alice.ratings_sum) == ("alice@example.org", 3, 12)


# --- Every change that ends a token is a 401 at once, cached state or not -----------------------


def test_a_password_change_ends_cached_sessions_and_tokens(token_client, jwt_client, committing):
    warm(token_client, ME)
    with committing():
        response = jwt_client.post(
            reverse("user-password"),
            {"current_password": PASSWORD, "new_password": "a-brand-new-passphrase-42"},
            format="json",
        )
    assert response.status_code == 200
    assert_problem(token_client.get(ME), 401)
    assert bearer(response.json()["access"]).get(ME).status_code == 200


def test_a_deactivated_users_tokens_are_refused_at_once(token_client, alice, committing):
    warm(token_client, ME)
    with committing():
        alice.is_active = False
        alice.save()
    assert_problem(token_client.get(ME), 401)
    assert_problem(token_client.get(profile("alice")), 401)  # a cached public read too


def test_a_reactivated_user_is_let_in_again(jwt_client, alice, committing):
    warm(jwt_client, ME)
    with committing():
        alice.is_active = False
        alice.save()
    assert_problem(jwt_client.get(ME), 401)
    with committing():
        alice.is_active = True
        alice.save()
    assert jwt_client.get(ME).status_code == 200


def test_a_deleted_accounts_tokens_are_refused_at_once(token_client, alice, committing):
    warm(token_client, ME)
    with committing():
        alice.delete()
    assert_problem(token_client.get(ME), 401)


def test_a_revoked_personal_token_is_refused_at_once(jwt_client, pat_client, committing):
    warm(pat_client, ME)
    [token] = jwt_client.get(reverse("personal-access-token-list")).json()["results"]
    with committing():
        assert jwt_client.delete(reverse("personal-access-token-detail", args=[token["id"]])).status_code == 204
    assert_problem(pat_client.get(ME), 401)
    assert jwt_client.get(ME).status_code == 200  # the owner's sessions go on


def test_a_token_revoked_by_staff_in_the_admin_is_refused_at_once(pat_client, admin_client, committing):
    warm(pat_client, ME)
    token = PersonalAccessToken.objects.get()
    with committing():
        response = admin_client.post(
            reverse("admin:users_personalaccesstoken_changelist"),
            {"action": "revoke", "_selected_action": [token.pk]},
        )
    assert response.status_code == 302
    assert_problem(pat_client.get(ME), 401)


def test_a_cached_personal_token_expires_on_time(pat_client, monkeypatch):
    warm(pat_client, ME)
    expires_at = PersonalAccessToken.objects.get().expires_at
    monkeypatch.setattr(timezone, "now", lambda: expires_at + timedelta(seconds=1))
    assert_problem(pat_client.get(ME), 401)


def test_staff_rights_removed_in_the_admin_end_at_once(admin_user, admin_client, committing):
    staff = client_for(admin_user)
    warm(staff, ME)
    with committing():
        admin_user.is_staff = admin_user.is_superuser = False
        admin_user.save()
    assert staff.post(reverse("genre-list"), {"name": "Heist"}, format="json").status_code == 403


# --- What is stored -----------------------------------------------------------------------------


def stored_values(monkeypatch) -> list[bytes]:
    values: list[bytes] = []
    store_value = response_cache.store_value

    def spy(slot, value):
        values.append(value)
        store_value(slot, value)

    monkeypatch.setattr(response_cache, "store_value", spy)
    return values


def test_the_state_is_stored_as_json_without_the_password_hash(token_client, alice, monkeypatch):
    values = stored_values(monkeypatch)
    warm(token_client, ME)
    [value] = values
    decoded = json.loads(value)
    user = decoded.get("user") or decoded["owner"]
    assert user["id"] == alice.pk and user["session_epoch"] == 0 and user["is_active"] is True
    assert "password" not in user and alice.password not in value.decode()


def test_an_inactive_user_is_never_stored(jwt_client, alice, monkeypatch):
    User.objects.filter(pk=alice.pk).update(is_active=False)
    values = stored_values(monkeypatch)
    assert_problem(jwt_client.get(ME), 401)
    assert values == []


def test_an_unknown_or_revoked_personal_token_is_never_stored(pat_client, monkeypatch):
    PersonalAccessToken.objects.update(revoked_at=timezone.now())
    values = stored_values(monkeypatch)
    assert_problem(pat_client.get(ME), 401)
    assert_problem(pat_client.get(ME), 401)
    assert_problem(bearer("mr_pat_" + "x" * 43).get(ME), 401)
    assert values == []


def test_an_unreadable_entry_is_a_miss_and_is_replaced(jwt_client, alice, django_assert_num_queries):
    warm(jwt_client, profile("alice"))
    _, slot = response_cache.lookup_value([response_cache.auth_tag(alice.pk)], f"user:{alice.pk}")
    assert slot is not None
    response_cache.store().set(slot.key, b"\x80\x04\x95 not JSON, maybe a pickle", timeout=60)
    with django_assert_num_queries(1):
        assert jwt_client.get(profile("alice")).status_code == 200
    with django_assert_num_queries(0):
        assert jwt_client.get(profile("alice")).status_code == 200


# --- A fill that races a write ------------------------------------------------------------------


def write_after_the_fills_query(committing, table: str, write):
    """Let `write` commit (and invalidate) right after the next request's query of `table`: the
    interleaving of a reader that read the database just before a write, then stores what it read."""
    written = False

    def hook(execute, sql, params, many, context):
        nonlocal written
        result = execute(sql, params, many, context)
        if not written and sql.startswith("SELECT") and f'FROM "{table}"' in sql:
            written = True
            with committing():
                write()
        return result

    return connection.execute_wrapper(hook)


@pytest.mark.parametrize("generation", ["first fill", "refill"])
def test_a_deactivation_between_a_fill_and_its_store_is_not_undone(jwt_client, alice, committing, generation):
    if generation == "refill":  # auth:<id> has a generation already and its entry was dropped
        warm(jwt_client, ME)
        with committing():
            alice.first_name = "Alice"
            alice.save()

    def deactivate() -> None:
        alice.is_active = False
        alice.save()

    with write_after_the_fills_query(committing, "users_user", deactivate):
        assert jwt_client.get(ME).status_code == 200  # read before the deactivation committed
    assert_problem(jwt_client.get(ME), 401)


def test_a_revocation_between_a_fill_and_its_store_is_not_undone(pat_client, committing):
    assert pat_client.get(ME).status_code == 200  # learns the owner; the next use fills

    def revoke() -> None:
        token_revoke(token=PersonalAccessToken.objects.get())

    with write_after_the_fills_query(committing, "users_personalaccesstoken", revoke):
        assert pat_client.get(ME).status_code == 200  # read before the revocation committed
    assert_problem(pat_client.get(ME), 401)


# --- Redis down -------------------------------------------------------------------------------


@pytest.fixture
def redis_unreachable(monkeypatch):
    """Every cache operation fails as an unreachable Redis does."""
    store_class = type(response_cache.store())

    def unreachable(*args, **kwargs):
        raise RedisConnectionError("unreachable")

    for name in ("lookup", "get", "set", "set_generations", "add_generations"):
        monkeypatch.setattr(store_class, name, unreachable)


def test_with_redis_down_tokens_are_checked_against_the_database(token_client, alice, redis_unreachable):
    assert token_client.get(ME).status_code == 200
    assert token_client.get(profile("alice")).status_code == 200
    User.objects.filter(pk=alice.pk).update(is_active=False)  # no invalidation can reach Redis anyway
    assert_problem(token_client.get(ME), 401)


def test_an_invalidation_lost_while_redis_is_down_drops_the_cached_state_when_it_answers(
    token_client, alice, committing, monkeypatch
):
    warm(token_client, ME)
    store_class = type(response_cache.store())
    working = store_class.set_generations

    def unreachable(self, keys, position=None):
        raise RedisConnectionError("unreachable")

    monkeypatch.setattr(store_class, "set_generations", unreachable)
    with committing():
        alice.is_active = False
        alice.save()  # its invalidation is lost
    monkeypatch.setattr(store_class, "set_generations", working)
    assert_problem(token_client.get(ME), 401)  # everything was dropped once Redis answered


# --- The local-memory fallback (no Redis) -------------------------------------------------------


def test_the_local_memory_fallback_caches_and_ends_tokens_too(
    local_memory_cache, token_client, alice, committing, django_assert_num_queries
):
    assert isinstance(response_cache.store(), response_cache.DjangoCacheStore)
    warm(token_client, profile("alice"))
    with django_assert_num_queries(0):
        assert token_client.get(profile("alice"))["X-Cache"] == "HIT"
    with committing():
        alice.set_password("a-brand-new-passphrase-42")
        alice.save()
    assert_problem(token_client.get(profile("alice")), 401)


# --- AUTH_STATE_CACHE ---------------------------------------------------------------------------


def test_with_the_state_cache_off_every_token_is_checked_against_the_database(
    token_client, alice, settings, django_assert_num_queries
):
    settings.AUTH_STATE_CACHE = False
    warm(token_client, profile("alice"))
    with django_assert_num_queries(1):
        assert token_client.get(profile("alice"))["X-Cache"] == "HIT"
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert_problem(token_client.get(profile("alice")), 401)


@pytest.mark.parametrize(("redis_url", "expected"), [("", "False"), ("redis://127.0.0.1:6379/0", "True")])
def test_production_caches_the_state_only_in_a_cache_every_process_shares(redis_url, expected):
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
         "print(settings.AUTH_STATE_CACHE)"],
        cwd=Path(__file__).resolve().parents[2],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "REDIS_URL": redis_url,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
