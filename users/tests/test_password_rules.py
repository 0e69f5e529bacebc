"""SPEC section 8's password rules beyond Django's four validators, on every path."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from users.models import User
from users.tests.helpers import assert_problem, error_fields

pytestmark = pytest.mark.django_db


def sign_up(client, password, username="alice", email="wonderland@example.com"):
    body = {"username": username, "email": email, "password": password}
    return client.post(reverse("user-list"), body, format="json")


@pytest.mark.parametrize(
    "password",
    [
        " " * 8,
        "\t" * 12,
        "\u3000" * 10,  # ideographic spaces
        "xx-Alice-2024-xx",  # the username, any case
        "my-\uff41lice-pass",  # the username in full width
        "wonderland-forever",  # the email's local part
        "x-WONDERLAND-x",
    ],
)
def test_sign_up_refuses_whitespace_or_identity_in_the_password(api_client, password):
    response = sign_up(api_client, password)
    assert_problem(response, 400)
    assert set(error_fields(response)) == {"password"}


def test_short_usernames_and_local_parts_are_not_held_against_passwords(api_client):
    response = sign_up(api_client, "bo-tom-fig-quartz", username="bo", email="tom@example.com")
    assert response.status_code == 201


@pytest.mark.parametrize(("staff", "accepted"), [(False, True), (True, False)])
def test_staff_passwords_need_ten_characters(staff, accepted):
    user = User(username="curator", email="c@example.com", is_staff=staff)
    if accepted:
        validate_password("qx7#Lm2!v", user)
    else:
        with pytest.raises(ValidationError):
            validate_password("qx7#Lm2!v", user)
