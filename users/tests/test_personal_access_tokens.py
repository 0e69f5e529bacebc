"""Personal access tokens (SPEC section 12): created with a password session, used as a bearer."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import client_for
from users.models import PersonalAccessToken
from users.tests.factories import UserFactory
from users.tests.helpers import PASSWORD, assert_problem, error_fields
from users.tokens import personal_access_token_hash

pytestmark = pytest.mark.django_db

TOKENS = reverse("personal-access-token-list")


def revoke_url(token_id: int) -> str:
    return reverse("personal-access-token-detail", args=[token_id])


def create(client, name="script", scopes=("read",), **extra):
    return client.post(TOKENS, {"name": name, "scopes": list(scopes), **extra}, format="json")


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def read_token(user_client) -> dict:
    response = create(user_client, "reader", ["read"])
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def write_token(user_client) -> dict:
    response = create(user_client, "writer", ["write"])
    assert response.status_code == 201, response.content
    return response.json()


def expire(**filters) -> None:
    """Make tokens expired a second ago (created a day before that)."""
    now = timezone.now()
    PersonalAccessToken.objects.filter(**filters).update(
        created_at=now - timedelta(days=1), expires_at=now - timedelta(seconds=1)
    )


# --- Creating ---------------------------------------------------------------------------------


def test_creating_a_token_answers_its_secret_once_with_its_metadata(user_client):
    response = create(user_client, "home automation", ["read", "write"], expires_in_days=30)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "name", "scopes", "token", "prefix", "created_at", "expires_at", "last_used_at"}
    assert body["token"].startswith("mr_pat_")
    assert len(body["token"]) >= len("mr_pat_") + 43  # 32 random bytes, base64url
    assert body["prefix"] == body["token"][: len("mr_pat_") + 8]
    assert body["scopes"] == ["read", "write"]
    assert body["last_used_at"] is None
    assert response["Cache-Control"] == "no-store"


def test_write_includes_read(user_client):
    assert create(user_client, "w", ["write"]).json()["scopes"] == ["read", "write"]


def test_the_default_expiry_is_90_days_and_the_list_shows_the_stored_expiry(user_client):
    before = timezone.now()
    create(user_client, "default")
    create(user_client, "one day", expires_in_days=1)
    listed = {item["name"]: item for item in user_client.get(TOKENS).json()["results"]}
    stored = {t.name: t for t in PersonalAccessToken.objects.all()}
    for name, days in (("default", 90), ("one day", 1)):
        expires_at = stored[name].expires_at
        assert before + timedelta(days=days) <= expires_at <= timezone.now() + timedelta(days=days)
        assert listed[name]["expires_at"] == expires_at.isoformat().replace("+00:00", "Z")


def test_the_secret_is_not_stored_only_its_keyed_hash(user_client):
    secret = create(user_client).json()["token"]
    stored = PersonalAccessToken.objects.get()
    assert stored.key_hash == personal_access_token_hash(secret)
    assert secret not in stored.key_hash
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM users_personalaccesstoken")
        row_text = " ".join(str(value) for value in cursor.fetchone())
    assert secret[len("mr_pat_") :] not in row_text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "scopes": ["read"]}, "name"),
        ({"name": "x" * 101, "scopes": ["read"]}, "name"),
        ({"name": 7, "scopes": ["read"]}, "name"),
        ({"scopes": ["read"]}, "name"),
        ({"name": "n", "scopes": []}, "scopes"),
        ({"name": "n", "scopes": ["admin"]}, "scopes"),
        ({"name": "n", "scopes": "read"}, "scopes"),
        ({"name": "n"}, "scopes"),
        ({"name": "n", "scopes": ["read"], "expires_in_days": 0}, "expires_in_days"),
        ({"name": "n", "scopes": ["read"], "expires_in_days": 366}, "expires_in_days"),
        ({"name": "n", "scopes": ["read"], "expires_in_days": "soon"}, "expires_in_days"),
    ],
)
def test_invalid_token_requests_are_a_400_naming_the_field(user_client, body, field):
    response = user_client.post(TOKENS, body, format="json")
    assert_problem(response, 400)
    assert [str(name).split(".")[0] for name in error_fields(response)] == [field]
    assert not PersonalAccessToken.objects.exists()


def test_a_name_is_unique_among_live_tokens_whatever_its_case(user_client):
    create(user_client, "Backup")
    response = create(user_client, "bACKUP")
    assert_problem(response, 400)
    assert error_fields(response) == ["name"]


def test_a_revoked_tokens_name_can_be_reused(user_client):
    first = create(user_client, "backup").json()
    user_client.delete(revoke_url(first["id"]))
    assert create(user_client, "backup").status_code == 201


def test_an_expired_tokens_name_can_be_reused_and_the_expired_one_is_revoked(user_client, user):
    first = create(user_client, "backup").json()
    expire(pk=first["id"])
    assert create(user_client, "backup").status_code == 201
    assert PersonalAccessToken.objects.get(pk=first["id"]).revoked_at is not None


def test_another_user_may_use_the_same_name(user_client):
    create(user_client, "backup")
    assert create(client_for(UserFactory.create()), "backup").status_code == 201


def test_the_database_refuses_two_unrevoked_tokens_with_one_name(user):
    now = timezone.now()
    fields = {"owner": user, "scopes": "read", "prefix": "mr_pat_x", "expires_at": now + timedelta(days=1)}
    PersonalAccessToken.objects.create(name="Same", key_hash="a" * 64, **fields)
    with pytest.raises(IntegrityError):
        PersonalAccessToken.objects.create(name="same", key_hash="b" * 64, **fields)


def test_the_21st_live_token_is_a_400(user_client):
    for number in range(20):
        assert create(user_client, f"token {number}").status_code == 201
    response = create(user_client, "one too many")
    body = assert_problem(response, 400)
    assert body["errors"][0]["code"] == "too_many_tokens"
    assert PersonalAccessToken.objects.count() == 20


def test_revoking_one_of_20_makes_room_for_another(user_client):
    ids = [create(user_client, f"token {number}").json()["id"] for number in range(20)]
    user_client.delete(revoke_url(ids[0]))
    assert create(user_client, "replacement").status_code == 201


def test_anonymous_callers_cannot_create_or_list_tokens(api_client):
    assert_problem(create(api_client), 401)
    assert_problem(api_client.get(TOKENS), 401)


# --- Using ------------------------------------------------------------------------------------


def test_a_read_token_reads_the_callers_own_account_and_ratings(read_token, user):
    client = bearer(read_token["token"])
    assert client.get(reverse("user-me")).json()["username"] == user.username
    assert client.get(reverse("my-ratings")).status_code == 200


def test_a_write_token_changes_the_username(write_token, user):
    response = bearer(write_token["token"]).patch(reverse("user-me"), {"username": "renamed"}, format="json")
    assert response.status_code == 200
    assert response.json()["username"] == "renamed"


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("patch", reverse("user-me"), {"username": "renamed"}),
        ("delete", reverse("user-me"), None),
        ("post", reverse("user-password"), {"current_password": PASSWORD, "new_password": "x"}),
        ("post", reverse("logout"), {"refresh": "x"}),
        ("post", TOKENS, {"name": "n", "scopes": ["read"]}),
        ("post", reverse("user-list"), {"username": "u", "email": "u@example.com", "password": "p"}),
    ],
)
def test_a_read_only_token_trying_any_account_write_is_a_403(read_token, user, method, url, body):
    response = getattr(bearer(read_token["token"]), method)(url, body, format="json")
    body = assert_problem(response, 403)
    assert body["code"] == "insufficient_scope"
    assert "write" in body["detail"]
    user.refresh_from_db()
    assert user.username != "renamed"
    assert PersonalAccessToken.objects.count() == 1
    assert type(user).objects.count() == 1


@pytest.mark.parametrize("action", ["create", "list", "revoke"])
def test_a_personal_token_cannot_manage_tokens_whatever_its_scope(write_token, action):
    client = bearer(write_token["token"])
    if action == "create":
        response = create(client, "minted")
    elif action == "list":
        response = client.get(TOKENS)
    else:
        response = client.delete(revoke_url(write_token["id"]))
    body = assert_problem(response, 403)
    assert body["code"] == "password_session_required"
    assert PersonalAccessToken.objects.filter(revoked_at=None).count() == 1


def test_a_personal_token_cannot_change_the_password(write_token, user):
    response = bearer(write_token["token"]).post(
        reverse("user-password"), {"current_password": PASSWORD, "new_password": "a-new-long-passphrase"}, format="json"
    )
    assert_problem(response, 403)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_personal_token_cannot_change_the_email_even_to_a_taken_one(write_token, user):
    UserFactory.create(email="taken@example.com")
    for email in ("new@example.com", "taken@example.com"):
        response = bearer(write_token["token"]).patch(reverse("user-me"), {"email": email}, format="json")
        assert_problem(response, 403)
    user.refresh_from_db()
    assert user.email != "new@example.com"


def test_a_personal_token_may_send_the_unchanged_email_with_a_rename(write_token, user):
    response = bearer(write_token["token"]).patch(
        reverse("user-me"), {"username": "renamed", "email": user.email.upper()}, format="json"
    )
    assert response.status_code == 200


def test_a_personal_token_cannot_delete_the_account(write_token, user):
    assert_problem(bearer(write_token["token"]).delete(reverse("user-me")), 403)
    assert type(user).objects.filter(pk=user.pk).exists()


@pytest.mark.parametrize(
    "token",
    ["mr_pat_", "mr_pat_unknown-secret-of-the-right-length-0123456789abcdefgh", "mr_pat_\u00e9t\u00e9"],
)
def test_an_unknown_token_is_a_401_with_www_authenticate(token):
    response = bearer(token).get(reverse("user-me"))
    assert_problem(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_revoked_token_stops_working_at_once(user_client, read_token):
    assert user_client.delete(revoke_url(read_token["id"])).status_code == 204
    assert_problem(bearer(read_token["token"]).get(reverse("user-me")), 401)


def test_an_expired_token_is_a_401(read_token):
    expire()
    assert_problem(bearer(read_token["token"]).get(reverse("user-me")), 401)


def test_a_deactivated_users_token_is_refused_while_inactive(read_token, user):
    user.is_active = False
    user.save()
    assert_problem(bearer(read_token["token"]).get(reverse("user-me")), 401)
    user.is_active = True
    user.save()
    assert bearer(read_token["token"]).get(reverse("user-me")).status_code == 200


def test_a_password_change_revokes_every_token_for_good(user_client, read_token, write_token, committing):
    for token in (read_token, write_token):
        assert bearer(token["token"]).get(reverse("user-me")).status_code == 200
    with committing():
        response = user_client.post(
            reverse("user-password"),
            {"current_password": PASSWORD, "new_password": "a-new-long-passphrase"},
            format="json",
        )
    assert response.status_code == 200
    for token in (read_token, write_token):
        assert_problem(bearer(token["token"]).get(reverse("user-me")), 401)
    assert bearer(response.json()["access"]).get(TOKENS).json()["count"] == 0


def test_a_password_set_in_the_admin_or_a_script_revokes_every_token(read_token, user):
    user.set_password("set-by-an-administrator")
    user.save()
    assert_problem(bearer(read_token["token"]).get(reverse("user-me")), 401)


def test_deleting_the_account_deletes_its_tokens(user_client, read_token):
    assert user_client.delete(reverse("user-me")).status_code == 204
    assert not PersonalAccessToken.objects.exists()


# --- last_used_at -----------------------------------------------------------------------------


def test_a_use_records_last_used_at_to_the_minute(read_token):
    before = timezone.now()
    bearer(read_token["token"]).get(reverse("user-me"))
    last_used = PersonalAccessToken.objects.get().last_used_at
    assert last_used is not None
    assert before <= last_used <= timezone.now()


def test_last_used_at_is_written_at_most_once_a_minute(read_token, django_assert_num_queries, monkeypatch):
    client = bearer(read_token["token"])
    client.get(reverse("user-me"))  # the first use writes last_used_at
    client.get(reverse("user-me"))  # the token and its owner are cached from here on
    # A use within the minute: no query for the token, no write (the one query is /me's own
    # ratings count, which a cached user does not carry).
    with django_assert_num_queries(1):
        client.get(reverse("user-me"))
    later = timezone.now() + timedelta(minutes=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    with django_assert_num_queries(2):  # /me's own, and one UPDATE
        client.get(reverse("user-me"))
    assert PersonalAccessToken.objects.get().last_used_at == later
    with django_assert_num_queries(1):  # the cached copy carries the new time: no second write
        client.get(reverse("user-me"))


# --- Listing and revoking ---------------------------------------------------------------------


def test_the_list_is_newest_first_without_secrets_or_revoked_tokens(user_client):
    created = [create(user_client, name).json() for name in ("first", "second", "third")]
    user_client.delete(revoke_url(created[1]["id"]))
    expire(pk=created[0]["id"])
    response = user_client.get(TOKENS)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["count"] == 2
    assert [item["name"] for item in body["results"]] == ["third", "first"]  # expired ones stay until revoked
    for item in body["results"]:
        assert set(item) == {"id", "name", "scopes", "prefix", "created_at", "expires_at", "last_used_at"}
    assert all(token["token"] not in response.content.decode() for token in created)


def test_the_list_shows_only_the_callers_tokens(user_client):
    create(client_for(UserFactory.create()), "someone else's")
    create(user_client, "mine")
    assert [item["name"] for item in user_client.get(TOKENS).json()["results"]] == ["mine"]


@pytest.mark.parametrize("tokens", [1, 15])
def test_the_list_costs_two_queries_whatever_its_size(user_client, user, django_assert_num_queries, tokens):
    for number in range(tokens):
        create(user_client, f"token {number}")
    user_client.get(TOKENS)  # the JWT's user comes from the cache from now on (users.authstate)
    with django_assert_num_queries(2):  # the count, the page
        response = user_client.get(TOKENS)
    assert response.json()["count"] == tokens


def test_revoking_another_users_token_is_a_404_and_leaves_it_working(user_client):
    other = create(client_for(UserFactory.create()), "theirs").json()
    assert_problem(user_client.delete(revoke_url(other["id"])), 404)
    assert bearer(other["token"]).get(reverse("user-me")).status_code == 200


def test_revoking_twice_is_a_404(user_client, read_token):
    assert user_client.delete(revoke_url(read_token["id"])).status_code == 204
    assert_problem(user_client.delete(revoke_url(read_token["id"])), 404)


@pytest.mark.parametrize("token_id", ["abc", "99999999999999999999999"])
def test_a_malformed_token_id_is_a_404(user_client, token_id):
    assert_problem(user_client.delete(f"{TOKENS}{token_id}/"), 404)


# --- Admin ------------------------------------------------------------------------------------


def test_the_admin_lists_tokens_without_their_secret_or_hash(admin_client, user_client):
    secret = create(user_client, "listed").json()["token"]
    stored = PersonalAccessToken.objects.get()
    html = admin_client.get(reverse("admin:users_personalaccesstoken_changelist")).content.decode()
    assert stored.prefix in html
    assert secret not in html
    assert stored.key_hash not in html
    detail = admin_client.get(reverse("admin:users_personalaccesstoken_change", args=[stored.pk])).content.decode()
    assert stored.prefix in detail
    assert secret[len(stored.prefix) :] not in detail
    assert stored.key_hash not in detail


def test_the_admin_cannot_create_tokens(admin_client):
    assert admin_client.get(reverse("admin:users_personalaccesstoken_add")).status_code == 403


def test_the_admin_revokes_tokens(admin_client, user_client):
    token = create(user_client, "to revoke").json()
    response = admin_client.post(
        reverse("admin:users_personalaccesstoken_changelist"),
        {"action": "revoke", "_selected_action": [token["id"]]},
    )
    assert response.status_code == 302
    assert_problem(bearer(token["token"]).get(reverse("user-me")), 401)
