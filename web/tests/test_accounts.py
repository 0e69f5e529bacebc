import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from users.models import User
from users.tests.factories import UserFactory
from web.tests.conftest import PASSWORD


def sign_up(client, **overrides):
    data = {
        "username": "newbie",
        "email": "newbie@example.com",
        "password": "a-long-and-unusual-passphrase",
        "password_again": "a-long-and-unusual-passphrase",
        **overrides,
    }
    return client.post(reverse("web:signup"), data)


def test_signing_up_creates_the_account_and_logs_in(client, db):
    response = sign_up(client)

    assert response.status_code == 302
    assert response["Location"] == reverse("web:catalogue")
    user = User.objects.get(username="newbie")
    assert user.check_password("a-long-and-unusual-passphrase")
    assert client.session[SESSION_KEY] == str(user.pk)
    assert "Welcome, newbie!" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"username": "MovieLens-7"}, "username", "reserved for imported accounts"),
        ({"username": "me"}, "username", "This username is reserved"),
        ({"username": "ALICE"}, "username", "This username is taken"),
        ({"email": "Alice@Example.com"}, "email", "An account with this email address exists"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"password": "12345678", "password_again": "12345678"}, "password", "too common"),
        ({"password_again": "something-else-entirely"}, "password_again", "The two passwords differ"),
    ],
)
def test_sign_up_applies_the_api_rules_and_names_the_field(client, member, overrides, field, message):
    response = sign_up(client, **overrides)

    assert response.status_code == 400
    html = response.content.decode()
    error_id = field.replace("_", "-") + "-error"
    assert f'id="{error_id}"' in html
    assert message in html
    assert not User.objects.filter(username="newbie").exists()
    assert SESSION_KEY not in client.session


def test_a_failed_sign_up_keeps_the_username_and_email_but_never_the_password(client, db):
    html = sign_up(client, password_again="different-passphrase").content.decode()

    assert 'value="newbie"' in html and 'value="newbie@example.com"' in html
    assert "a-long-and-unusual-passphrase" not in html


def test_sign_ups_share_the_api_sign_up_throttle(client, api_client, small_throttle_rates, db):
    api_client.post("/api/users/", {}, format="json")
    sign_up(client, username="first", email="first@example.com")

    response = sign_up(client, username="second", email="second@example.com")

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert not User.objects.filter(username="second").exists()


def test_logging_in_starts_a_session_and_follows_a_local_next(client, member, movie):
    target = reverse("web:movie", args=[movie.pk])

    response = client.post(reverse("web:login"), {"username": "alice", "password": PASSWORD, "next": target})

    assert response.status_code == 302
    assert response["Location"] == target
    assert client.session[SESSION_KEY] == str(member.pk)


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "javascript:alert(1)",
        "http:evil",
        "/login/?next=/",
    ],
)
def test_login_never_redirects_off_the_site(client, member, next_url):
    response = client.post(reverse("web:login"), {"username": "alice", "password": PASSWORD, "next": next_url})

    assert response.status_code == 302
    assert response["Location"] == reverse("web:catalogue")


def test_the_login_page_carries_next_into_its_form_escaped(client, db):
    html = client.get(reverse("web:login"), {"next": '/movies/1/"><script>'}).content.decode()

    assert 'name="next" value="/movies/1/&quot;&gt;&lt;script&gt;"' in html


def test_a_wrong_password_is_a_400_with_a_message_and_no_session(client, member):
    response = client.post(reverse("web:login"), {"username": "alice", "password": "wrong"})

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert SESSION_KEY not in client.session


def test_web_logins_count_against_the_api_login_throttle_of_the_address(
    client, api_client, member, small_throttle_rates
):
    api_client.post("/api/auth/token/", {"username": "alice", "password": "wrong"}, format="json")
    client.post(reverse("web:login"), {"username": "alice", "password": "wrong"})

    response = client.post(reverse("web:login"), {"username": "alice", "password": PASSWORD})

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert SESSION_KEY not in client.session
    UserFactory.create(username="bob")
    other_address = Client(REMOTE_ADDR="10.0.0.9")
    assert other_address.post(reverse("web:login"), {"username": "bob", "password": PASSWORD}).status_code == 302


def test_failed_web_logins_count_against_the_username_from_any_address(member, small_throttle_rates):
    for address in ("10.0.0.1", "10.0.0.2"):
        Client(REMOTE_ADDR=address).post(reverse("web:login"), {"username": "ALICE", "password": "wrong"})

    response = Client(REMOTE_ADDR="10.0.0.3").post(reverse("web:login"), {"username": "alice", "password": PASSWORD})

    assert response.status_code == 429
    assert SESSION_KEY not in Client().session


def test_a_successful_web_login_gives_the_username_its_attempt_back(member, small_throttle_rates):
    for address in ("10.0.0.1", "10.0.0.2"):
        response = Client(REMOTE_ADDR=address).post(reverse("web:login"), {"username": "alice", "password": PASSWORD})
        assert response.status_code == 302

    other = Client(REMOTE_ADDR="10.0.0.3").post(reverse("web:login"), {"username": "alice", "password": PASSWORD})

    assert other.status_code == 302


def test_the_username_matches_in_any_letter_case_like_the_api(client, member):
    response = client.post(reverse("web:login"), {"username": "ALICE", "password": PASSWORD})

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(member.pk)


def test_login_and_sign_up_need_the_csrf_token(member):
    browser = Client(enforce_csrf_checks=True)

    assert browser.post(reverse("web:login"), {"username": "alice", "password": PASSWORD}).status_code == 403
    assert sign_up(browser).status_code == 403


def test_logging_out_is_a_post_and_ends_the_session(member_client):
    assert member_client.get(reverse("web:logout")).status_code == 405
    assert SESSION_KEY in member_client.session

    response = member_client.post(reverse("web:logout"))

    assert response.status_code == 302
    assert SESSION_KEY not in member_client.session
    assert "You are logged out." in member_client.get(response["Location"]).content.decode()


def test_logging_out_needs_the_csrf_token(member):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member)

    assert browser.post(reverse("web:logout")).status_code == 403
    assert SESSION_KEY in browser.session


def test_account_pages_are_never_stored(client, db):
    for name in ("web:login", "web:signup"):
        assert "no-store" in client.get(reverse(name))["Cache-Control"]


def test_sign_up_follows_a_local_next_and_never_an_outside_one(db):
    inside, outside = Client(), Client()

    assert sign_up(inside, next="/people/newbie/")["Location"] == "/people/newbie/"
    response = sign_up(outside, username="other", email="other@example.com", next="https://evil.example/")
    assert response["Location"] == reverse("web:catalogue")


def test_a_refused_csrf_token_gets_a_page_that_says_what_to_do(member):
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(reverse("web:login"), {"username": "alice", "password": PASSWORD})

    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
