"""Logins, account changes and deletions leave audit events, never with a password in them."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from users.tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db


def test_an_api_login_is_audited_with_the_address_and_request_id(api_client, user):
    response = api_client.post(
        reverse("token-obtain"),
        {"username": user.username, "password": PASSWORD},
        format="json",
        REMOTE_ADDR="198.51.100.4",
        HTTP_X_REQUEST_ID="login-1",
    )
    assert response.status_code == 200
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.details) == ("auth.login", user, {"via": "api"})
    assert (event.client_address, event.request_id) == ("198.51.100.4", "login-1")


@pytest.mark.parametrize("username", ["nobody-by-this-name", None])
def test_a_failed_api_login_is_audited_with_the_name_tried_but_not_the_password(api_client, user, username):
    tried = username or user.username
    response = api_client.post(
        reverse("token-obtain"), {"username": tried, "password": "guess-1234-secret"}, format="json"
    )
    assert response.status_code == 401
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.actor_username) == ("auth.login_failed", None, tried)
    assert event.details == {"via": "api"}
    assert "guess-1234" not in repr(list(AuditEvent.objects.values_list()))


def test_a_logout_is_audited(user_client, user, api_client):
    tokens = api_client.post(
        reverse("token-obtain"), {"username": user.username, "password": PASSWORD}, format="json"
    ).json()
    assert user_client.post(reverse("logout"), {"refresh": tokens["refresh"]}, format="json").status_code == 204
    assert list(AuditEvent.objects.order_by("id").values_list("action", "actor")) == [
        ("auth.login", user.pk),
        ("auth.logout", user.pk),
    ]


def test_a_sign_up_is_audited(api_client):
    body = {"username": "newcomer", "email": "new@example.com", "password": PASSWORD}
    assert api_client.post(reverse("user-list"), body, format="json").status_code == 201
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_username, event.target_repr) == ("user.register", "newcomer", "newcomer")


def test_an_email_change_is_audited_with_old_and_new_address(user_client, user):
    old = user.email
    response = user_client.patch(reverse("user-me"), {"email": "elsewhere@example.com"}, format="json")
    assert response.status_code == 200
    event = AuditEvent.objects.get()
    assert (event.action, event.actor) == ("user.email_change", user)
    assert event.details == {"from": old, "to": "elsewhere@example.com"}


def test_a_patch_that_changes_nothing_records_nothing(user_client, user):
    assert user_client.patch(reverse("user-me"), {"email": user.email}, format="json").status_code == 200
    assert not AuditEvent.objects.exists()


def test_a_rename_is_audited(user_client, user):
    old = user.username
    assert user_client.patch(reverse("user-me"), {"username": "renamed"}, format="json").status_code == 200
    event = AuditEvent.objects.get()
    assert (event.action, event.details) == ("user.username_change", {"from": old, "to": "renamed"})


def test_an_account_deletion_is_audited_and_outlives_the_account(user_client, user):
    username, user_id = user.username, str(user.pk)
    assert user_client.delete(reverse("user-me")).status_code == 204
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.actor_username, event.target_id) == (
        "user.delete",
        None,
        username,
        user_id,
    )


def test_staff_edits_of_an_account_name_the_fields_but_not_their_values(client, staff_user, user):
    client.force_login(staff_user)
    url = reverse("admin:users_user_change", args=[user.pk])
    page = client.get(url)
    form = {key: value for key, value in page.context["adminform"].form.initial.items() if value is not None}
    form.update(
        {
            "username": user.username,
            "email": user.email,
            "is_staff": "on",
            "date_joined_0": "2024-01-01",
            "date_joined_1": "00:00:00",
        }
    )
    form.pop("password", None)
    form.pop("groups", None)
    form.pop("user_permissions", None)
    form.pop("last_login", None)
    form.pop("date_joined", None)
    response = client.post(url, form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AuditEvent.objects.get(action="user.update")
    assert event.actor == staff_user and event.target_id == str(user.pk)
    assert "is_staff" in event.details["fields"]


def test_a_password_set_by_staff_in_the_admin_is_audited_without_the_password(client, staff_user, user):
    client.force_login(staff_user)
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    new = "a-new-long-password-4321"
    response = client.post(url, {"password1": new, "password2": new, "set_usable_password": "true"})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="user.password_change")
    assert (event.actor, event.target_id, event.details) == (staff_user, str(user.pk), {"via": "admin", "usable": True})
    assert new not in repr(list(AuditEvent.objects.values_list()))
    user.refresh_from_db()
    assert user.check_password(new)


def test_a_password_change_through_the_api_is_audited_without_the_password(user_client, user):
    body = {"current_password": PASSWORD, "new_password": "another-long-passphrase-77"}
    response = user_client.post(reverse("user-password"), body, format="json", HTTP_X_REQUEST_ID="pw-1")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="user.password_change")
    assert (event.actor, event.target_id, event.request_id) == (user, str(user.pk), "pw-1")
    assert "another-long" not in repr(list(AuditEvent.objects.values_list()))


def test_a_password_reset_through_an_emailed_link_is_audited(api_client, user):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    body = {
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
        "new_password": "another-long-passphrase-77",
    }
    assert api_client.post(reverse("password-reset-confirm"), body, format="json").status_code == 204
    event = AuditEvent.objects.get(action="user.password_reset")
    assert (event.actor, event.target_id) == (user, str(user.pk))


def test_creating_and_revoking_a_personal_token_are_audited_without_the_secret(user_client, user):
    created = user_client.post(
        reverse("personal-access-token-list"), {"name": "ci", "scopes": ["read"]}, format="json"
    ).json()
    detail = reverse("personal-access-token-detail", args=[created["id"]])
    assert user_client.delete(detail).status_code == 204
    assert user_client.delete(detail).status_code == 404  # a second revocation records nothing
    events = list(AuditEvent.objects.order_by("id").values_list("action", "actor", "target_id"))
    assert events == [("token.create", user.pk, str(created["id"])), ("token.revoke", user.pk, str(created["id"]))]
    assert created["token"] not in repr(list(AuditEvent.objects.values_list()))
    assert AuditEvent.objects.get(action="token.create").details["prefix"] == created["prefix"]
