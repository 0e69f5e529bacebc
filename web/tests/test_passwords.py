import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from users.services import password_reset_link
from web.tests.conftest import PASSWORD

NEW = "an-even-longer-new-passphrase"


def change(client, current=PASSWORD, new=NEW, again=NEW):
    data = {"current_password": current, "new_password": new, "new_password_again": again}
    return client.post(reverse("web:password-change"), data)


def test_changing_my_password_keeps_this_browser_logged_in_and_logs_out_the_others(member):
    here, elsewhere = Client(), Client()
    here.force_login(member)
    elsewhere.force_login(member)

    response = change(here)

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password(NEW)
    assert "Your password is changed" in here.get(response["Location"]).content.decode()
    assert elsewhere.get(reverse("web:my-ratings")).status_code == 302  # sent to log in


@pytest.mark.parametrize(
    ("current", "new", "again", "error_id"),
    [
        ("wrong", NEW, NEW, "current-password-error"),
        (PASSWORD, "12345678", "12345678", "new-password-error"),
        (PASSWORD, "alice-is-my-name-123", "alice-is-my-name-123", "new-password-error"),
        (PASSWORD, NEW, NEW + "x", "new-password-again-error"),
    ],
)
def test_a_refused_change_is_a_400_naming_the_field_and_changes_nothing(
    member_client, member, current, new, again, error_id
):
    response = change(member_client, current, new, again)

    assert response.status_code == 400
    assert f'id="{error_id}"' in response.content.decode()
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_changing_the_password_needs_a_login_and_the_csrf_token(client, member):
    assert client.get(reverse("web:password-change"))["Location"].startswith(reverse("web:login"))
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member)
    assert change(browser).status_code == 403


def test_password_changes_share_the_api_account_throttle(member_client, member, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "account": "2/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    change(member_client, current="wrong")
    change(member_client, current="wrong")

    response = change(member_client)

    assert response.status_code == 429
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_the_forgotten_password_page_answers_alike_for_known_and_unknown_addresses(
    client, member, background, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(reverse("web:password-forgot"), {"email": "Alice@Example.com"})
        unknown = client.post(reverse("web:password-forgot"), {"email": "nobody@example.com"})
    background.run()

    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    assert [message.to for message in mailoutbox] == [["alice@example.com"]]
    link = re.search(r"(\S*/account/reset/\?uid=\S+&token=\S+)", mailoutbox[0].body)
    assert link is not None and urlsplit(link.group(1)).path == reverse("web:password-reset")


def test_an_invalid_email_on_the_forgotten_password_page_is_a_400(client, db):
    response = client.post(reverse("web:password-forgot"), {"email": "not-an-email"})

    assert response.status_code == 400
    assert 'id="email-error"' in response.content.decode()


def test_the_emailed_link_sets_a_new_password_once(client, member):
    link = urlsplit(password_reset_link(member))

    page = client.get(f"{link.path}?{link.query}")

    assert page.status_code == 200
    assert page["Referrer-Policy"] == "no-referrer"
    html = page.content.decode()
    fields = dict(re.findall(r'name="(uid|token)" value="([^"]+)"', html))
    data = {"uid": fields["uid"], "token": fields["token"], "new_password": NEW, "new_password_again": NEW}
    response = client.post(reverse("web:password-reset"), data)
    assert response.status_code == 302 and response["Location"] == reverse("web:login")
    member.refresh_from_db()
    assert member.check_password(NEW)
    again = client.post(reverse("web:password-reset"), {**data, "new_password": "yet-another-passphrase-9"})
    assert again.status_code == 400
    member.refresh_from_db()
    assert member.check_password(NEW)


def test_a_refused_new_password_keeps_the_link_usable(client, member):
    link = urlsplit(password_reset_link(member))
    params = dict(pair.split("=", 1) for pair in link.query.split("&"))

    data = {**params, "new_password": "12345678", "new_password_again": "12345678"}
    response = client.post(reverse("web:password-reset"), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="new-password-error"' in html and 'name="token"' in html
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


@pytest.mark.parametrize("query", [{"uid": "MQ", "token": "forged"}, {}])
def test_a_forged_or_incomplete_reset_link_says_so(client, member, query):
    response = client.get(reverse("web:password-reset"), query)

    assert response.status_code == 400
    assert "has been used already, has expired or is not complete" in response.content.decode()
    assert 'name="new_password"' not in response.content.decode()
