from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError
from django.urls import reverse

from users.services import duplicates_as_validation_errors
from users.tests.factories import UserFactory
from users.tests.helpers import assert_problem, error_fields

pytestmark = pytest.mark.django_db

User = get_user_model()
GOOD_PASSWORD = "a-long-unguessable-passphrase"


def sign_up(client, **fields):
    body = {"username": "alice", "email": "alice@example.com", "password": GOOD_PASSWORD, **fields}
    return client.post(reverse("user-list"), {k: v for k, v in body.items() if v is not None}, format="json")


def test_a_sign_up_creates_the_account_and_returns_it_without_the_password(api_client):
    response = sign_up(api_client)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "username", "email", "date_joined", "ratings_count"}
    assert body["username"] == "alice"
    assert body["ratings_count"] == 0
    user = User.objects.get(pk=body["id"])
    assert user.check_password(GOOD_PASSWORD)
    assert user.password not in response.content.decode()


def test_the_new_account_can_log_in(api_client, login):
    sign_up(api_client)
    assert set(login("alice", GOOD_PASSWORD)) == {"access", "refresh"}


@pytest.mark.parametrize("taken", ["alice", "ALICE", "Alice"])
def test_a_username_taken_in_any_letter_case_is_a_400_naming_username(api_client, taken):
    UserFactory.create(username=taken, email="someone@example.com")
    response = sign_up(api_client, username="alice")
    assert_problem(response, 400)
    assert error_fields(response) == ["username"]
    assert response.json()["errors"][0]["code"] == "unique"


@pytest.mark.parametrize("taken", ["alice@example.com", "ALICE@EXAMPLE.COM", "Alice@Example.com"])
def test_an_email_taken_in_any_letter_case_is_a_400_naming_email(api_client, taken):
    UserFactory.create(username="someone", email=taken)
    response = sign_up(api_client, email="alice@example.com")
    assert_problem(response, 400)
    assert error_fields(response) == ["email"]


@pytest.mark.parametrize(
    ("email", "message"),
    [("not-an-email", "Enter a valid email address."), (42, "Send this as a JSON string.")],
)
def test_an_invalid_email_is_refused_with_a_message_about_what_is_wrong(api_client, email, message):
    response = sign_up(api_client, email=email)
    assert response.status_code == 400
    assert [(error["field"], error["message"]) for error in response.json()["errors"]] == [("email", message)]


@pytest.mark.parametrize("email", ["not-an-email", "alice@", "", None])
def test_an_invalid_or_missing_email_is_a_400_naming_email(api_client, email):
    response = sign_up(api_client, email=email)
    assert_problem(response, 400)
    assert error_fields(response) == ["email"]


@pytest.mark.parametrize("username", ["movielens-1", "MovieLens-42", "MOVIELENS-x", "me", "ME", "Me"])
def test_reserved_usernames_are_a_400_naming_username(api_client, username):
    response = sign_up(api_client, username=username)
    assert_problem(response, 400)
    assert error_fields(response) == ["username"]
    assert response.json()["errors"][0]["code"] == "reserved"


@pytest.mark.parametrize("username", ["al ice", "al/ice", "", "x" * 151])
def test_a_malformed_username_is_a_400_naming_username(api_client, username):
    response = sign_up(api_client, username=username)
    assert_problem(response, 400)
    assert error_fields(response) == ["username"]


def test_a_username_may_contain_dots_at_signs_plus_and_dashes(api_client):
    response = sign_up(api_client, username="a.l+i-c@e_1")
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short7!", "password_too_short"),
        ("password123", "password_too_common"),
        ("8123749120384", "password_entirely_numeric"),
        ("alice.wonderland", "password_too_similar"),
    ],
)
def test_a_password_that_django_validators_reject_is_a_400_naming_password(api_client, password, code):
    response = sign_up(api_client, username="alice.wonderland", email="alice.wonderland@example.com", password=password)
    body = assert_problem(response, 400)
    assert set(error_fields(response)) == {"password"}
    assert code in {error["code"] for error in body["errors"]}
    assert not User.objects.exists()


def test_a_missing_password_is_a_400_naming_password(api_client):
    response = api_client.post(reverse("user-list"), {"username": "alice", "email": "alice@example.com"}, format="json")
    assert_problem(response, 400)
    assert error_fields(response) == ["password"]


@pytest.mark.parametrize("field", ["username", "email"])
def test_a_duplicate_committed_by_a_concurrent_sign_up_is_a_400_not_a_500(api_client, field):
    UserFactory.create(username="Alice", email="Alice@Example.com")
    other = {"username": "bob", "email": "bob@example.com"}
    del other[field]
    # The duplicate slips past the serializer's check, as when a concurrent sign-up commits
    # between the check and the insert; the Lower() constraint rejects it.
    with mock.patch("users.services.user_holding", return_value=False):
        response = sign_up(api_client, **other)
    assert_problem(response, 400)
    assert error_fields(response) == [field]
    assert User.objects.count() == 1


def test_other_integrity_errors_are_not_mistaken_for_a_taken_name():
    with pytest.raises(IntegrityError), duplicates_as_validation_errors():
        raise IntegrityError('new row violates check constraint "users_user_ratings_sum_in_range"')


def test_sign_ups_are_throttled_per_client_ip_with_a_problem_429(api_client, small_throttle_rates):
    for n in range(2):
        assert sign_up(api_client, username=f"user-{n}", email=f"u{n}@example.com").status_code == 201
    response = sign_up(api_client, username="user-3", email="u3@example.com")
    body = assert_problem(response, 429)
    assert body["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    assert not User.objects.filter(username="user-3").exists()


def test_rejected_sign_ups_count_against_the_throttle_too(api_client, small_throttle_rates):
    for _ in range(2):
        assert sign_up(api_client, email="bad").status_code == 400
    assert_problem(sign_up(api_client), 429)


def test_another_client_ip_has_its_own_sign_up_allowance(api_client, small_throttle_rates):
    for n in range(2):
        sign_up(api_client, username=f"user-{n}", email=f"u{n}@example.com")
    response = api_client.post(
        reverse("user-list"),
        {"username": "carol", "email": "carol@example.com", "password": GOOD_PASSWORD},
        format="json",
        REMOTE_ADDR="10.0.0.2",
    )
    assert response.status_code == 201


def test_reading_profiles_is_not_throttled(api_client, user, small_throttle_rates):
    for _ in range(5):
        assert api_client.get(reverse("user-detail", kwargs={"username": user.username})).status_code == 200


def test_there_is_no_list_of_users(api_client):
    assert_problem(api_client.get(reverse("user-list")), 405)
