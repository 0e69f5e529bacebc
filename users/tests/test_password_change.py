"""Changing a password, and what it ends: every session and token of the user (SPEC 2, Auth)."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from users.models import User
from users.tests.factories import UserFactory
from users.tests.helpers import PASSWORD, assert_problem, error_fields
from users.tokens import SESSION_START_CLAIM, SessionRefreshToken

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-42"


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def me(access: str):
    return bearer(access).get(reverse("user-me"))


def refresh(token: str):
    return APIClient().post(reverse("token-refresh"), {"refresh": token}, format="json")


def change(access: str, current: str = PASSWORD, new: str = NEW_PASSWORD):
    return bearer(access).post(
        reverse("user-password"), {"current_password": current, "new_password": new}, format="json"
    )


# --- The endpoint -----------------------------------------------------------------------------


def test_a_password_change_answers_a_fresh_working_session(user, login, committing):
    session = login(user.username)
    with committing():
        response = change(session["access"])
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    fresh = response.json()
    assert set(fresh) == {"access", "refresh"}
    assert me(fresh["access"]).status_code == 200
    assert refresh(fresh["refresh"]).status_code == 200
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_the_new_password_logs_in_and_the_old_one_does_not(user, login, api_client):
    change(login(user.username)["access"])
    assert login(user.username, NEW_PASSWORD)["access"]
    response = api_client.post(
        reverse("token-obtain"), {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert_problem(response, 401)


def test_every_other_session_ends(user, login, committing):
    caller, other = login(user.username), login(user.username)
    assert me(other["access"]).status_code == 200  # its user is cached now
    with committing():
        change(caller["access"])
    for session in (caller, other):
        body = assert_problem(me(session["access"]), 401)
        assert body["code"] == "session_ended"
        assert_problem(refresh(session["refresh"]), 401)


def test_a_wrong_current_password_is_a_400_naming_it_and_changes_nothing(user, login):
    session = login(user.username)
    response = change(session["access"], current="not-my-password")
    assert_problem(response, 400)
    assert error_fields(response) == ["current_password"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert me(session["access"]).status_code == 200


@pytest.mark.parametrize(
    ("new", "code"),
    [
        ("short", "password_too_short"),
        ("12345678901", "password_entirely_numeric"),
        ("password123", "password_too_common"),
    ],
)
def test_a_weak_new_password_is_a_400_naming_it(user, login, new, code):
    session = login(user.username)
    response = change(session["access"], new=new)
    body = assert_problem(response, 400)
    assert error_fields(response) == ["new_password"] * len(body["errors"])
    assert code in {error["code"] for error in body["errors"]}
    assert me(session["access"]).status_code == 200


def test_a_new_password_like_the_username_is_refused(login):
    UserFactory.create(username="cinephile-marguerite")
    session = login("cinephile-marguerite")
    response = change(session["access"], new="cinephile-marguerite")
    assert_problem(response, 400)
    # Two rules refuse it (Django's similarity check and users.passwords.NoIdentityValidator),
    # both on the one field.
    assert set(error_fields(response)) == {"new_password"}
    assert len(error_fields(response)) == 2


@pytest.mark.parametrize("body", [{}, {"current_password": PASSWORD}, {"new_password": NEW_PASSWORD}])
def test_missing_fields_are_a_400(user, login, body):
    response = bearer(login(user.username)["access"]).post(reverse("user-password"), body, format="json")
    assert_problem(response, 400)


def test_anonymous_callers_get_a_401(api_client):
    response = api_client.post(reverse("user-password"), {"current_password": "a", "new_password": "b"})
    assert_problem(response, 401)


def test_password_changes_are_throttled_per_user(user, login, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "account": "2/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    session = login(user.username)
    for _ in range(2):
        assert_problem(change(session["access"], current="wrong"), 400)  # failures count
    response = change(session["access"])
    assert_problem(response, 429)
    assert int(response["Retry-After"]) > 0


def test_password_changes_are_throttled_per_client_ip_across_users(login, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "account": "2/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    sessions = [login(UserFactory.create().username) for _ in range(3)]
    assert_problem(change(sessions[0]["access"], current="wrong"), 400)
    assert_problem(change(sessions[1]["access"], current="wrong"), 400)
    assert_problem(change(sessions[2]["access"]), 429)


# --- Every path that sets a password ends the sessions ------------------------------------------


def test_set_password_in_a_script_ends_every_session(user, login):
    session = login(user.username)
    user.set_password("set-by-a-script-123")
    user.save()
    assert_problem(me(session["access"]), 401)
    assert_problem(refresh(session["refresh"]), 401)


def test_the_admins_password_form_ends_every_session(user, login, admin_client):
    session = login(user.username)
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": "set-in-the-admin-123", "password2": "set-in-the-admin-123", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content
    assert_problem(me(session["access"]), 401)
    assert_problem(refresh(session["refresh"]), 401)


def test_changepassword_ends_every_session(user, login, monkeypatch):
    session = login(user.username)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "set-by-changepassword-123")
    call_command("changepassword", user.username)
    assert_problem(me(session["access"]), 401)


def test_disabling_password_login_ends_every_session(user, login):
    session = login(user.username)
    user.set_unusable_password()
    user.save()
    assert_problem(refresh(session["refresh"]), 401)


def test_tokens_issued_before_the_session_claims_existed_end_too(user, committing):
    legacy = RefreshToken.for_user(user)  # no session_epoch claim: epoch 0
    assert me(str(legacy.access_token)).status_code == 200
    with committing():
        user.set_password("set-by-a-script-123")
        user.save()
    assert_problem(me(str(legacy.access_token)), 401)
    assert_problem(refresh(str(legacy)), 401)


def test_a_hash_upgrade_on_login_is_not_a_password_change(user, login, settings):
    session = login(user.username)
    # A new preferred hasher: the next login rehashes the same password.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    login(user.username)
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha256$")
    assert me(session["access"]).status_code == 200


def test_other_saves_end_nothing(user, login):
    session = login(user.username)
    user.first_name = "Ada"
    user.save()
    assert me(session["access"]).status_code == 200


def test_a_stale_copy_saved_after_a_change_does_not_revive_old_sessions(user, login, committing):
    session = login(user.username)
    stale = User.objects.get(pk=user.pk)  # loaded before the change, as a concurrent request would
    with committing():
        change(session["access"])
        stale.first_name = "Stale"
        stale.save()
    assert_problem(me(session["access"]), 401)
    assert_problem(refresh(session["refresh"]), 401)


# --- The absolute session lifetime (JWT_SESSION_DAYS) -------------------------------------------


def started_days_ago(user, days: float) -> SessionRefreshToken:
    token = SessionRefreshToken.for_user(user)
    token[SESSION_START_CLAIM] = int(token["iat"] - days * 86400)
    return token


def test_rotation_keeps_the_session_start(user, login):
    first = login(user.username)
    second = refresh(first["refresh"]).json()
    start = SessionRefreshToken(first["refresh"], verify=False)[SESSION_START_CLAIM]
    assert SessionRefreshToken(second["refresh"])[SESSION_START_CLAIM] == start


def test_a_refresh_past_the_session_lifetime_is_refused(user, settings):
    settings.JWT_SESSION_LIFETIME = timedelta(days=30)
    token = started_days_ago(user, 30.01)
    body = assert_problem(refresh(str(token)), 401)
    assert body["code"] == "session_expired"


def test_a_refresh_within_the_session_lifetime_works_and_never_outlives_it(user, settings):
    settings.JWT_SESSION_LIFETIME = timedelta(days=30)
    token = started_days_ago(user, 29)
    response = refresh(str(token))
    assert response.status_code == 200
    rotated = SessionRefreshToken(response.json()["refresh"])
    session_end = token[SESSION_START_CLAIM] + 30 * 86400
    assert rotated["exp"] <= session_end
    assert rotated["exp"] < token["iat"] + 7 * 86400  # cut short of the usual refresh lifetime


def test_no_token_of_a_session_expires_after_the_session_does(user, login, settings):
    settings.JWT_SESSION_LIFETIME = timedelta(minutes=5)  # shorter than both token lifetimes
    first = login(user.username)
    second = refresh(first["refresh"]).json()
    start = SessionRefreshToken(first["refresh"], verify=False)[SESSION_START_CLAIM]
    for pair in (first, second):
        assert SessionRefreshToken(pair["refresh"], verify=False)["exp"] <= start + 300
        assert AccessToken(pair["access"])["exp"] <= start + 300


def test_login_and_refresh_answers_say_no_store(user, login, api_client):
    response = api_client.post(
        reverse("token-obtain"), {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert response["Cache-Control"] == "no-store"
    assert refresh(response.json()["refresh"])["Cache-Control"] == "no-store"
