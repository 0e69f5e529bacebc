from datetime import timedelta

import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from users.tests.factories import UserFactory
from users.tests.helpers import PASSWORD, assert_problem, error_fields

pytestmark = pytest.mark.django_db


def refresh(client, token):
    return client.post(reverse("token-refresh"), {"refresh": token}, format="json")


def logout(client, token):
    return client.post(reverse("logout"), {"refresh": token}, format="json")


def bearer(client, access):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_valid_credentials_get_an_access_and_a_refresh_token(api_client, user):
    response = api_client.post(
        reverse("token-obtain"), {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    tokens = response.json()
    assert set(tokens) == {"access", "refresh"}
    assert bearer(api_client, tokens["access"]).get(reverse("user-me")).json()["username"] == user.username


@pytest.mark.parametrize(
    "credentials",
    [{"username": "user-that-does-not-exist", "password": PASSWORD}, {"password": "wrong-password"}],
)
def test_bad_credentials_are_a_problem_401_with_www_authenticate(api_client, user, credentials):
    response = api_client.post(reverse("token-obtain"), {"username": user.username, **credentials}, format="json")
    body = assert_problem(response, 401)
    assert body["code"] == "no_active_account"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_deactivated_user_cannot_log_in(api_client):
    UserFactory.create(username="gone", is_active=False)
    response = api_client.post(reverse("token-obtain"), {"username": "gone", "password": PASSWORD}, format="json")
    assert_problem(response, 401)


def test_an_imported_account_without_a_usable_password_cannot_log_in(api_client):
    imported = UserFactory.create(username="movielens-1")
    imported.set_unusable_password()
    imported.save()
    response = api_client.post(reverse("token-obtain"), {"username": "movielens-1", "password": "!"}, format="json")
    assert_problem(response, 401)


def test_missing_credentials_are_a_400_naming_the_fields(api_client):
    response = api_client.post(reverse("token-obtain"), {}, format="json")
    assert_problem(response, 400)
    assert set(error_fields(response)) == {"password", "username"}


def test_logins_are_throttled_per_client_ip_with_a_problem_429(api_client, user, small_throttle_rates):
    for _ in range(2):
        api_client.post(reverse("token-obtain"), {"username": user.username, "password": "wrong"}, format="json")
    response = api_client.post(
        reverse("token-obtain"), {"username": user.username, "password": PASSWORD}, format="json"
    )
    body = assert_problem(response, 429)
    assert body["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_a_refresh_rotates_the_refresh_token(api_client, user, login):
    tokens = login(user.username)
    response = refresh(api_client, tokens["refresh"])
    assert response.status_code == 200
    rotated = response.json()
    assert set(rotated) == {"access", "refresh"}
    assert rotated["refresh"] != tokens["refresh"]
    assert refresh(api_client, rotated["refresh"]).status_code == 200


def test_reusing_a_rotated_refresh_token_is_a_401(api_client, user, login):
    tokens = login(user.username)
    refresh(api_client, tokens["refresh"])
    response = refresh(api_client, tokens["refresh"])
    body = assert_problem(response, 401)
    assert body["code"] == "token_not_valid"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_of_two_racing_refreshes_with_one_token_only_the_first_succeeds(api_client, user, login, monkeypatch):
    tokens = login(user.username)
    # Both requests get past simplejwt's blacklist check before either blacklists the token;
    # the blacklist row, created once, decides which one wins.
    monkeypatch.setattr(RefreshToken, "check_blacklist", lambda token: None)
    assert refresh(api_client, tokens["refresh"]).status_code == 200
    body = assert_problem(refresh(api_client, tokens["refresh"]), 401)
    assert body["code"] == "token_not_valid"


def test_a_valid_refresh_token_unknown_to_the_outstanding_list_is_used_once(api_client, user):
    token = RefreshToken()
    token["user_id"] = str(user.pk)
    assert refresh(api_client, str(token)).status_code == 200
    assert_problem(refresh(api_client, str(token)), 401)


@pytest.mark.parametrize("token", ["not-a-token", "a.b.c"])
def test_a_malformed_refresh_token_is_a_problem_401(api_client, token):
    response = refresh(api_client, token)
    body = assert_problem(response, 401)
    assert body["code"] == "token_not_valid"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_blank_refresh_token_is_a_400_naming_refresh(api_client):
    response = refresh(api_client, "")
    assert_problem(response, 400)
    assert error_fields(response) == ["refresh"]


def test_an_expired_refresh_token_is_a_401(api_client, user):
    token = RefreshToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    assert_problem(refresh(api_client, str(token)), 401)


def test_an_access_token_is_not_a_refresh_token(api_client, user, login):
    assert_problem(refresh(api_client, login(user.username)["access"]), 401)


def test_refreshing_the_token_of_a_deleted_user_is_a_401(api_client, user, login):
    tokens = login(user.username)
    user.delete()
    body = assert_problem(refresh(api_client, tokens["refresh"]), 401)
    assert body["code"] == "no_active_account"


def test_refreshing_the_token_of_a_deactivated_user_is_a_401(api_client, user, login):
    tokens = login(user.username)
    user.is_active = False
    user.save()
    body = assert_problem(refresh(api_client, tokens["refresh"]), 401)
    assert body["code"] == "no_active_account"


def test_logout_revokes_the_refresh_token_for_good(api_client, user, login):
    tokens = login(user.username)
    response = logout(bearer(api_client, tokens["access"]), tokens["refresh"])
    assert response.status_code == 204
    assert_problem(refresh(api_client, tokens["refresh"]), 401)


def test_logout_leaves_the_other_sessions_refresh_tokens_alone(api_client, user, login):
    first, second = login(user.username), login(user.username)
    logout(bearer(api_client, first["access"]), first["refresh"])
    assert refresh(api_client, second["refresh"]).status_code == 200


def test_logout_needs_authentication(api_client, user, login):
    tokens = login(user.username)
    response = logout(api_client, tokens["refresh"])
    assert_problem(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert refresh(api_client, tokens["refresh"]).status_code == 200


@pytest.mark.parametrize("token", ["not-a-token", ""])
def test_logout_with_a_malformed_token_is_a_400_naming_refresh(user_client, token):
    response = logout(user_client, token)
    assert_problem(response, 400)
    assert error_fields(response) == ["refresh"]


def test_logout_with_an_already_revoked_token_is_a_400_naming_refresh(api_client, user, login):
    tokens = login(user.username)
    bearer(api_client, tokens["access"])
    logout(api_client, tokens["refresh"])
    response = logout(api_client, tokens["refresh"])
    assert_problem(response, 400)
    assert error_fields(response) == ["refresh"]


def test_logout_with_another_users_token_is_a_400_and_leaves_that_token_valid(user_client, login):
    UserFactory.create(username="bob")
    bobs = login("bob")
    response = logout(user_client, bobs["refresh"])
    body = assert_problem(response, 400)
    assert error_fields(response) == ["refresh"]
    assert body["errors"][0]["code"] == "not_yours"
    assert refresh(APIClient(), bobs["refresh"]).status_code == 200


def test_an_invalid_access_token_is_a_problem_401_with_www_authenticate(api_client):
    response = bearer(api_client, "not-a-token").get(reverse("user-me"))
    body = assert_problem(response, 401)
    assert body["code"] == "token_not_valid"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("case", ["bad access token", "blacklisted refresh token"])
def test_simplejwt_errors_have_a_readable_detail(api_client, user, login, case):
    if case == "bad access token":
        response = bearer(api_client, "not-a-token").get(reverse("user-me"))
    else:
        tokens = login(user.username)
        refresh(api_client, tokens["refresh"])
        response = refresh(api_client, tokens["refresh"])
    body = assert_problem(response, 401)
    assert "ErrorDetail" not in body["detail"]
    assert body["detail"] in {"Given token not valid for any token type", "Token is blacklisted"}
