import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from users.tests.factories import UserFactory
from users.tests.helpers import PASSWORD, assert_problem, error_fields

pytestmark = pytest.mark.django_db

User = get_user_model()
ME = "/api/users/me/"


def test_me_is_at_its_fixed_path():
    assert reverse("user-me") == ME


def test_me_shows_the_callers_account(user_client, user):
    response = user_client.get(ME)
    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "username": user.username,
        "email": user.email,
        "date_joined": user.date_joined.isoformat().replace("+00:00", "Z"),
        "ratings_count": 0,
    }


def test_me_costs_one_query(user_client, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert user_client.get(ME).status_code == 200


def test_me_is_never_cached(user_client, user, committing):
    assert "X-Cache" not in user_client.get(ME)
    with committing():  # a save drops the cached user a token authenticates as (users.authstate)
        user.email = "changed@example.com"
        user.save()
    response = user_client.get(ME)
    assert "X-Cache" not in response
    assert response.json()["email"] == "changed@example.com"


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_me_needs_authentication(api_client, method):
    response = getattr(api_client, method)(ME, format="json")
    assert_problem(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_patch_changes_the_username_and_email(user_client, user):
    response = user_client.patch(ME, {"username": "renamed", "email": "new@example.com"}, format="json")
    assert response.status_code == 200
    assert response.json()["username"] == "renamed"
    assert response.json()["email"] == "new@example.com"
    user.refresh_from_db()
    assert (user.username, user.email) == ("renamed", "new@example.com")


def test_patch_may_change_only_the_letter_case_of_ones_own_username_and_email(user_client, user):
    response = user_client.patch(ME, {"username": user.username.upper(), "email": user.email.upper()}, format="json")
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.username == user.username.upper()


def test_patch_keeping_the_same_values_is_fine(user_client, user):
    response = user_client.patch(ME, {"username": user.username, "email": user.email}, format="json")
    assert response.status_code == 200


@pytest.mark.parametrize("taken", ["bob", "BOB", "Bob"])
def test_patch_to_a_username_taken_in_any_case_is_a_400_naming_username(user_client, taken):
    UserFactory.create(username=taken)
    response = user_client.patch(ME, {"username": "bob"}, format="json")
    assert_problem(response, 400)
    assert error_fields(response) == ["username"]


@pytest.mark.parametrize("taken", ["bob@example.com", "BOB@example.COM"])
def test_patch_to_an_email_taken_in_any_case_is_a_400_naming_email(user_client, taken):
    UserFactory.create(username="bob", email=taken)
    response = user_client.patch(ME, {"email": "bob@example.com"}, format="json")
    assert_problem(response, 400)
    assert error_fields(response) == ["email"]


@pytest.mark.parametrize("username", ["movielens-7", "MovieLens-7", "me", "Me"])
def test_patch_to_a_reserved_username_is_a_400_naming_username(user_client, username):
    response = user_client.patch(ME, {"username": username}, format="json")
    assert_problem(response, 400)
    assert error_fields(response) == ["username"]


@pytest.mark.parametrize("email", ["", "not-an-email"])
def test_patch_to_a_blank_or_invalid_email_is_a_400_naming_email(user_client, email):
    response = user_client.patch(ME, {"email": email}, format="json")
    assert_problem(response, 400)
    assert error_fields(response) == ["email"]


def test_patch_cannot_change_the_password(user_client, user):
    response = user_client.patch(ME, {"password": "a-new-long-passphrase"}, format="json")
    assert_problem(response, 400)
    assert error_fields(response) == ["password"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_patch_ignores_read_only_fields(user_client, user):
    response = user_client.patch(ME, {"id": 999, "ratings_count": 5, "is_staff": True}, format="json")
    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.pk, user.ratings_count, user.is_staff) == (response.json()["id"], 0, False)


def test_a_rename_committed_by_a_concurrent_request_is_a_400_not_a_500(user_client, monkeypatch):
    UserFactory.create(username="bob")
    monkeypatch.setattr("users.services.user_holding", lambda *args, **kwargs: False)
    response = user_client.patch(ME, {"username": "BOB"}, format="json")
    assert_problem(response, 400)
    assert error_fields(response) == ["username"]


def test_a_deleted_users_access_token_stops_working(user_client, committing):
    with committing():
        user_client.delete(ME)
    assert_problem(user_client.get(ME), 401)


def test_me_only_ever_touches_the_caller(user_client, user):
    bob = UserFactory.create(username="bob")
    assert user_client.patch(ME, {"email": "mine@example.com"}, format="json").status_code == 200
    assert user_client.delete(ME).status_code == 204
    bob.refresh_from_db()
    assert bob.email == "bob@example.com"


@pytest.mark.parametrize("method", ["put", "patch", "delete", "post"])
def test_another_users_account_cannot_be_written_through_its_profile(user_client, method):
    bob = UserFactory.create(username="bob")
    response = getattr(user_client, method)(f"/api/users/{bob.username}/", {"email": "x@example.com"}, format="json")
    assert_problem(response, 405)
    bob.refresh_from_db()
    assert bob.email == "bob@example.com"
