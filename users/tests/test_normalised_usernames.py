"""Every username rule sees the NFKC-normalised name (SPEC section 8): full-width and other
compatibility forms cannot take a reserved or taken name, and log in like the plain name."""

import pytest
from django.urls import reverse

from conftest import client_for
from users.models import User
from users.tests.factories import UserFactory
from users.tests.helpers import PASSWORD, assert_problem, error_fields

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "a-long-unguessable-passphrase"
FULL_WIDTH = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-",
    "".join(chr(0xFF41 + i) for i in range(26))
    + "".join(chr(0xFF21 + i) for i in range(26))
    + "".join(chr(0xFF10 + i) for i in range(10))
    + "\uff0d",
)


def full_width(text: str) -> str:
    return text.translate(FULL_WIDTH)


def sign_up(client, username):
    body = {"username": username, "email": "someone@example.com", "password": GOOD_PASSWORD}
    return client.post(reverse("user-list"), body, format="json")


@pytest.mark.parametrize(
    "username",
    [
        "\uff4dovielens-777777",  # full-width m only, as the review found
        full_width("movielens-777777"),
        full_width("MOVIELENS-1"),
        "movielens\ufe631",  # small hyphen-minus
        "\u1d39ovielens-1",  # modifier letter capital M
        full_width("me"),
        full_width("ME"),
        "\u1d50\u1d49",  # modifier letters small m and e
    ],
)
def test_compatibility_forms_cannot_take_a_reserved_username(api_client, username):
    response = sign_up(api_client, username)
    assert_problem(response, 400)
    assert error_fields(response) == ["username"]
    assert not User.objects.exists()


def test_a_compatibility_form_of_a_taken_username_is_taken(api_client):
    UserFactory.create(username="alice")
    response = sign_up(api_client, full_width("Alice"))
    assert_problem(response, 400)
    assert error_fields(response) == ["username"]


def test_a_full_width_sign_up_is_stored_normalised(api_client):
    response = sign_up(api_client, full_width("bob"))
    assert response.status_code == 201
    assert response.json()["username"] == "bob"


def test_a_name_that_normalises_to_forbidden_characters_is_refused(api_client):
    response = sign_up(api_client, "half\u00bd")  # 1/2 becomes 1, FRACTION SLASH, 2
    assert_problem(response, 400)
    assert error_fields(response) == ["username"]


@pytest.mark.parametrize("username", [full_width("me"), full_width("movielens-5")])
def test_a_rename_to_a_compatibility_form_of_a_reserved_name_is_refused(user, username):
    response = client_for(user).patch(reverse("user-me"), {"username": username}, format="json")
    assert_problem(response, 400)
    assert error_fields(response) == ["username"]


def test_a_rename_is_stored_normalised(user):
    response = client_for(user).patch(reverse("user-me"), {"username": full_width("carol")}, format="json")
    assert response.json()["username"] == "carol"
    user.refresh_from_db()
    assert user.username == "carol"


@pytest.mark.parametrize("typed", ["NEWBIE", "Newbie", full_width("newbie"), full_width("NEWBIE")])
def test_login_ignores_letter_case_and_compatibility_forms(api_client, typed):
    UserFactory.create(username="newbie")
    response = api_client.post(reverse("token-obtain"), {"username": typed, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content


def test_the_admin_login_ignores_letter_case_too(client):
    UserFactory.create(username="root", is_staff=True, is_superuser=True)
    response = client.post(reverse("admin:login"), {"username": "ROOT", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302


def test_a_wrong_password_in_another_case_is_still_a_401(api_client):
    UserFactory.create(username="newbie")
    response = api_client.post(reverse("token-obtain"), {"username": "NEWBIE", "password": "nope"}, format="json")
    assert_problem(response, 401)


@pytest.mark.parametrize("name", ["rated", "RATED", full_width("rated")])
def test_profiles_and_rated_lists_are_found_by_any_form_of_the_name(api_client, name):
    UserFactory.create(username="rated")
    assert api_client.get(reverse("user-detail", args=[name])).json()["username"] == "rated"
    assert api_client.get(reverse("user-ratings", args=[name])).status_code == 200


@pytest.mark.parametrize("path", ["/api/users/a%20b/", "/api/users/a%20b/ratings/", "/api/users/a%2Fb/ratings/"])
def test_usernames_no_account_can_have_are_a_404_not_a_500(api_client, path):
    assert_problem(api_client.get(path), 404)


@pytest.mark.parametrize("path", ["/api/users/a%00b/", "/api/users/a%00b/ratings/"])
def test_a_nul_in_a_username_path_is_a_400_not_a_500(api_client, path):
    assert_problem(api_client.get(path), 400)
