import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-unguessable-passphrase"

User = get_user_model()


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def assert_no_password_hash(html: str, *users) -> None:
    for user in users:
        assert user.password not in html
        assert user.password.split("$")[-1] not in html
    for hasher_summary_label in ("algorithm", "iterations", "salt", "hash:"):
        assert hasher_summary_label not in html.lower()


def test_the_changelist_lists_accounts_with_their_rating_counts(admin_client, staff_user):
    alice = UserFactory.create(username="alice")
    response = admin_client.get(reverse("admin:users_user_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "alice" in html
    assert "column-ratings_count" in html
    assert_no_password_hash(html, alice, staff_user)


def test_the_changelist_searches_usernames_and_emails(admin_client):
    UserFactory.create(username="alice", email="wonderland@example.com")
    UserFactory.create(username="bob")
    response = admin_client.get(reverse("admin:users_user_changelist"), {"q": "wonderland"})
    assert list(response.context["cl"].result_list.values_list("username", flat=True)) == ["alice"]


def test_the_changelist_filters_by_staff_and_active(admin_client):
    UserFactory.create(username="alice", is_active=False)
    response = admin_client.get(reverse("admin:users_user_changelist"), {"is_active__exact": "0"})
    assert list(response.context["cl"].result_list.values_list("username", flat=True)) == ["alice"]


def test_the_change_page_says_whether_a_password_is_set_but_never_shows_its_hash(admin_client, staff_user):
    alice = UserFactory.create(username="alice")
    response = admin_client.get(reverse("admin:users_user_change", args=[alice.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Set." in html
    assert 'href="../password/"' in html
    assert_no_password_hash(html, alice, staff_user)


def test_the_change_page_of_an_imported_account_says_it_has_no_usable_password(admin_client):
    imported = UserFactory.create(username="movielens-1", password=None)
    imported.set_unusable_password()
    imported.save()
    html = admin_client.get(reverse("admin:users_user_change", args=[imported.pk])).content.decode()
    assert "Not set (unusable)" in html
    assert_no_password_hash(html, imported)


def test_the_rating_statistics_are_read_only(admin_client):
    alice = UserFactory.create(username="alice")
    response = admin_client.get(reverse("admin:users_user_change", args=[alice.pk]))
    form = response.context["adminform"].form
    assert {"ratings_count", "ratings_sum", "average_score"}.isdisjoint(form.fields)
    assert "field-ratings_count" in response.content.decode()
    assert "field-average_score" in response.content.decode()


def test_the_change_password_page_shows_no_hash(admin_client):
    alice = UserFactory.create(username="alice")
    response = admin_client.get(reverse("admin:auth_user_password_change", args=[alice.pk]))
    assert response.status_code == 200
    assert_no_password_hash(response.content.decode(), alice)


def test_staff_can_create_an_account(admin_client):
    response = admin_client.post(
        reverse("admin:users_user_add"),
        {"username": "carol", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert User.objects.get(username="carol").check_password(NEW_PASSWORD)


def test_the_add_form_refuses_a_username_taken_in_another_case(admin_client):
    UserFactory.create(username="carol")
    response = admin_client.post(
        reverse("admin:users_user_add"),
        {"username": "CAROL", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "username" in response.context["adminform"].form.errors


def change_form_data(user, **changes) -> dict:
    data = {
        "username": user.username,
        "email": user.email,
        "is_active": "on",
        "date_joined_0": user.date_joined.date().isoformat(),
        "date_joined_1": user.date_joined.time().replace(microsecond=0).isoformat(),
    }
    return {**data, **changes}


def test_staff_can_change_an_accounts_email(admin_client):
    alice = UserFactory.create(username="alice")
    response = admin_client.post(
        reverse("admin:users_user_change", args=[alice.pk]), change_form_data(alice, email="ALICE@example.org")
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.email == "ALICE@example.org"


def test_the_change_form_refuses_an_email_taken_in_another_case(admin_client):
    UserFactory.create(username="bob", email="bob@example.com")
    alice = UserFactory.create(username="alice")
    response = admin_client.post(
        reverse("admin:users_user_change", args=[alice.pk]), change_form_data(alice, email="BOB@example.com")
    )
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["email"]
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def test_non_staff_cannot_open_the_admin(client, user):
    client.force_login(user)
    response = client.get(reverse("admin:users_user_changelist"))
    assert response.status_code == 302
