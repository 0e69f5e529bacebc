"""Logins (API and admin), refreshes and account changes are throttled (SPEC section 8)."""

import pytest
from django.urls import reverse

from conftest import client_for
from users.tests.factories import UserFactory
from users.tests.helpers import PASSWORD, assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    def set_rates(**rates: str) -> None:
        merged = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates}
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": merged}

    return set_rates


def api_login(client, username, password="wrong-password", ip="10.0.0.1"):
    return client.post(
        reverse("token-obtain"), {"username": username, "password": password}, format="json", REMOTE_ADDR=ip
    )


def admin_login(client, username, password="wrong-password", ip="10.0.0.1"):
    return client.post(
        reverse("admin:login"), {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip
    )


def test_guesses_at_one_username_from_many_addresses_share_one_budget(api_client, rates):
    UserFactory.create(username="alice")
    rates(login="2/min")
    assert [api_login(api_client, "alice", ip=f"10.0.0.{i}").status_code for i in range(2)] == [401, 401]
    response = api_login(api_client, "ALICE", PASSWORD, ip="10.0.0.99")
    assert_problem(response, 429)


def test_successful_logins_do_not_use_up_the_usernames_budget(api_client, rates):
    UserFactory.create(username="alice")
    rates(login="2/min")
    assert [api_login(api_client, "alice", PASSWORD, ip=f"10.0.0.{i}").status_code for i in range(4)] == [200] * 4


def test_the_admin_login_refuses_the_right_password_after_the_limit_of_wrong_ones(client, rates):
    UserFactory.create(username="root", is_staff=True, is_superuser=True)
    rates(login="3/min")
    statuses = [admin_login(client, "root").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]  # the form again, with an error
    response = admin_login(client, "root", PASSWORD)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


def test_admin_login_guesses_count_per_username_from_any_address(client, rates):
    UserFactory.create(username="root", is_staff=True, is_superuser=True)
    rates(login="2/min")
    for i in range(2):
        admin_login(client, "root", ip=f"10.2.0.{i}")
    assert admin_login(client, "ROOT", PASSWORD, ip="10.2.0.50").status_code == 429


def test_admin_and_api_logins_share_the_usernames_budget(client, api_client, rates):
    UserFactory.create(username="root", is_staff=True, is_superuser=True)
    rates(login="2/min")
    admin_login(client, "root", ip="10.3.0.1")
    api_login(api_client, "root", ip="10.3.0.2")
    assert api_login(api_client, "root", PASSWORD, ip="10.3.0.3").status_code == 429


def test_a_correct_admin_login_logs_in_and_gives_the_attempt_back(client, rates):
    UserFactory.create(username="root", is_staff=True, is_superuser=True)
    rates(login="2/min")
    for i in range(3):
        client.logout()
        response = admin_login(client, "root", PASSWORD, ip=f"10.4.0.{i}")
        assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_the_admin_login_page_itself_is_not_throttled(client, rates):
    rates(login="1/min")
    assert [client.get(reverse("admin:login")).status_code for _ in range(3)] == [200] * 3


def test_refreshes_are_throttled_per_client_ip(api_client, user, rates):
    tokens = api_login(api_client, user.username, PASSWORD).json()
    rates(refresh="2/min")
    token = tokens["refresh"]
    for _ in range(2):
        response = api_client.post(reverse("token-refresh"), {"refresh": token}, format="json")
        assert response.status_code == 200
        token = response.json()["refresh"]
    response = api_client.post(reverse("token-refresh"), {"refresh": token}, format="json")
    assert_problem(response, 429)


def test_account_changes_are_throttled_per_user(user, rates):
    rates(account="2/min")
    client = client_for(user)
    emails = [f"probe{i}@example.com" for i in range(3)]
    statuses = [client.patch(reverse("user-me"), {"email": e}, format="json").status_code for e in emails]
    assert statuses == [200, 200, 429]
    assert client.get(reverse("user-me")).status_code == 200  # reading one's account is not throttled
    assert client_for(UserFactory.create()).patch(reverse("user-me"), {}, format="json").status_code == 200
