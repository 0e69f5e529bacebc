"""Resetting a forgotten password by email (SPEC section 2, Users; section 8)."""

import re
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from config.models import ThrottleCounter
from users import tasks
from users.models import PersonalAccessToken
from users.tests.factories import UserFactory
from users.tests.helpers import PASSWORD, assert_problem, error_fields

pytestmark = pytest.mark.django_db

RESET = reverse("password-reset")
CONFIRM = reverse("password-reset-confirm")
NEW_PASSWORD = "a-brand-new-passphrase-42"


@pytest.fixture
def ask(api_client, background, django_capture_on_commit_callbacks):
    """POST a reset request, as the API answers it; then run what was queued after the response."""

    def ask_for(email: str, **headers):
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client.post(RESET, {"email": email}, format="json", **headers)
        return response

    return ask_for


@pytest.fixture
def alice(db):
    return UserFactory.create(username="alice", email="alice@example.com")


@pytest.fixture(autouse=True)
def _public_base_url(settings):
    """Emailed links are absolute from PUBLIC_BASE_URL (empty by default: relative links)."""
    settings.PUBLIC_BASE_URL = "http://localhost:8000"


def link_in(message) -> str:
    [link] = re.findall(r"https?://\S+", message.body)
    return link


def link_params(link: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(link).query).items()}


def emailed_link(ask, background, email="alice@example.com") -> dict[str, str]:
    ask(email)
    background.run()
    return link_params(link_in(mail.outbox[-1]))


def confirm(params: dict[str, str], new_password: str = NEW_PASSWORD):
    return APIClient().post(CONFIRM, {**params, "new_password": new_password}, format="json")


def comparable(response) -> tuple:
    body = response.json()
    body.pop("request_id", None)
    headers = {k: v for k, v in response.headers.items() if k not in ("X-Request-ID",)}
    return response.status_code, body, headers


# --- Asking -----------------------------------------------------------------------------------


def test_a_known_address_gets_a_202_and_then_one_email(ask, background, alice):
    response = ask("alice@example.com")
    assert response.status_code == 202
    assert response["Cache-Control"] == "no-store"
    assert mail.outbox == []  # not on the request path
    background.run()
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]


def test_known_and_unknown_addresses_get_identical_answers(ask, background, alice):
    known = ask("alice@example.com")
    unknown = ask("nobody@example.com")
    assert comparable(known) == comparable(unknown)
    background.run()
    assert len(mail.outbox) == 1


def test_the_request_path_does_no_lookup_for_known_or_unknown_addresses(ask, alice):
    # The same work whatever the address: only the throttle's counters (per client IP and per
    # address, one statement each, config.api.throttling); the lookup happens after the response.
    for email in ("alice@example.com", "nobody@example.com"):
        with CaptureQueriesContext(connection) as queries:
            assert ask(email).status_code == 202
        assert len(queries) == 2
        assert all(ThrottleCounter._meta.db_table in query["sql"] for query in queries.captured_queries)


def test_the_address_matches_whatever_its_letter_case(ask, background, alice):
    ask("ALICE@Example.COM")
    background.run()
    assert mail.outbox[0].to == ["alice@example.com"]


@pytest.mark.parametrize("kind", ["inactive", "unusable password"])
def test_accounts_that_cannot_log_in_get_no_email_and_the_same_answer(ask, background, alice, kind):
    if kind == "inactive":
        alice.is_active = False
    else:
        alice.set_unusable_password()
    alice.save()
    response = ask("alice@example.com")
    assert response.status_code == 202
    background.run()
    assert mail.outbox == []


@pytest.mark.parametrize("body", [{}, {"email": "not-an-email"}, {"email": 42}, {"email": ""}])
def test_an_invalid_address_is_a_400_naming_email(api_client, body):
    response = api_client.post(RESET, body, format="json")
    assert_problem(response, 400)
    assert error_fields(response) == ["email"]


def test_the_email_names_the_service_the_link_and_its_expiry_in_text_and_html(ask, background, alice, settings):
    settings.SERVICE_NAME = "Movie ratings"
    settings.PUBLIC_BASE_URL = "https://movies.example.org"
    ask("alice@example.com")
    background.run()
    [message] = mail.outbox
    assert "Movie ratings" in message.subject
    link = link_in(message)
    assert link.startswith("https://movies.example.org/account/reset/?uid=")
    assert set(link_params(link)) == {"uid", "token"}
    assert "Movie ratings" in message.body
    assert "2 hours" in message.body
    [(html, mimetype)] = message.alternatives  # type: ignore[attr-defined]
    assert mimetype == "text/html"
    assert f'href="{link.replace("&", "&amp;")}"' in html
    assert "Movie ratings" in html
    assert "2 hours" in html


def test_the_link_never_comes_from_the_requests_host(ask, background, alice, settings):
    settings.PUBLIC_BASE_URL = "https://movies.example.org"
    settings.ALLOWED_HOSTS = ["*"]
    ask("alice@example.com", HTTP_HOST="attacker.example", HTTP_X_FORWARDED_HOST="attacker.example")
    background.run()
    assert "attacker" not in mail.outbox[0].body
    assert link_in(mail.outbox[0]).startswith("https://movies.example.org/")


@pytest.mark.parametrize(("hours", "text"), [(1, "1 hour "), (2.0, "2 hours"), (0.5, "0.5 hours")])
def test_the_expiry_in_the_email_follows_the_setting(ask, background, alice, settings, hours, text):
    settings.PASSWORD_RESET_HOURS = hours
    ask("alice@example.com")
    background.run()
    assert text in mail.outbox[0].body


def test_reset_requests_are_throttled_per_client_ip(ask, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "account": "2/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    assert ask("one@example.com").status_code == 202
    assert ask("two@example.com").status_code == 202
    response = ask("three@example.com")
    assert_problem(response, 429)
    assert int(response["Retry-After"]) > 0


def test_reset_requests_are_throttled_per_address_from_any_ip(ask, settings, alice):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "account": "2/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    for number, email in enumerate(["alice@example.com", "ALICE@example.com", "alice@example.com"]):
        response = ask(email, REMOTE_ADDR=f"10.0.0.{number + 1}")
    assert_problem(response, 429)


# --- Confirming -------------------------------------------------------------------------------


def test_the_emailed_link_sets_the_new_password(ask, background, alice, login):
    response = confirm(emailed_link(ask, background))
    assert response.status_code == 204
    assert response["Cache-Control"] == "no-store"
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert login("alice", NEW_PASSWORD)["access"]


def test_a_reset_ends_every_session_and_personal_token(ask, background, alice, login, committing):
    session = login("alice")
    created = (
        APIClient(HTTP_AUTHORIZATION=f"Bearer {session['access']}")
        .post(reverse("personal-access-token-list"), {"name": "script", "scopes": ["read"]}, format="json")
        .json()
    )
    link = emailed_link(ask, background)
    with committing():
        assert confirm(link).status_code == 204
    client = APIClient()
    assert_problem(client.get(reverse("user-me"), HTTP_AUTHORIZATION=f"Bearer {session['access']}"), 401)
    assert_problem(client.post(reverse("token-refresh"), {"refresh": session["refresh"]}, format="json"), 401)
    assert_problem(client.get(reverse("user-me"), HTTP_AUTHORIZATION=f"Bearer {created['token']}"), 401)
    assert PersonalAccessToken.objects.get().revoked_at is not None


def test_a_used_link_is_a_400_naming_token(ask, background, alice):
    params = emailed_link(ask, background)
    assert confirm(params).status_code == 204
    response = confirm(params, "yet-another-passphrase-77")
    assert_problem(response, 400)
    assert error_fields(response) == ["token"]
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_an_expired_link_is_a_400_naming_token(ask, background, alice, settings):
    params = emailed_link(ask, background)
    settings.PASSWORD_RESET_TIMEOUT = -1  # any link is now older than its validity
    response = confirm(params)
    assert_problem(response, 400)
    assert error_fields(response) == ["token"]
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_a_link_cannot_reset_another_users_password(ask, background, alice):
    bob = UserFactory.create(username="bob", email="bob@example.com")
    params = emailed_link(ask, background)
    bobs_uid = emailed_link(ask, background, "bob@example.com")["uid"]
    response = confirm({**params, "uid": bobs_uid})
    assert_problem(response, 400)
    assert error_fields(response) == ["token"]
    bob.refresh_from_db()
    assert bob.check_password(PASSWORD)


@pytest.mark.parametrize(
    "params",
    [
        {"uid": "MQ", "token": "forged-token"},
        {"uid": "not base64!", "token": "x"},
        {"uid": "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk", "token": "x"},  # a huge id
        {"uid": "", "token": ""},
    ],
)
def test_forged_links_are_a_400(alice, params):
    response = confirm(params)
    assert_problem(response, 400)
    assert set(error_fields(response)) <= {"uid", "token"}


def test_a_deactivated_accounts_link_stops_working(ask, background, alice):
    params = emailed_link(ask, background)
    alice.is_active = False
    alice.save()
    response = confirm(params)
    assert_problem(response, 400)
    assert error_fields(response) == ["token"]


def test_a_weak_new_password_is_a_400_and_the_link_still_works(ask, background, alice):
    params = emailed_link(ask, background)
    response = confirm(params, "alice")
    assert_problem(response, 400)
    assert error_fields(response) == ["new_password"] * len(response.json()["errors"])
    assert confirm(params).status_code == 204


def test_confirmations_are_throttled_per_client_ip(alice, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "account": "2/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    for number in range(2):
        assert_problem(confirm({"uid": f"u{number}", "token": "x"}), 400)
    assert_problem(confirm({"uid": "u9", "token": "x"}), 429)


def test_confirmations_are_not_throttled_per_account_so_no_one_can_block_a_genuine_link(
    ask, background, alice, settings
):
    params = emailed_link(ask, background)
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "account": "2/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    for number in range(3):  # an attacker guessing tokens for alice's uid from several addresses
        response = APIClient(REMOTE_ADDR=f"10.0.1.{number}").post(
            CONFIRM, {"uid": params["uid"], "token": f"guess-{number}", "new_password": NEW_PASSWORD}, format="json"
        )
        assert_problem(response, 400)
    genuine = APIClient(REMOTE_ADDR="10.0.2.1").post(CONFIRM, {**params, "new_password": NEW_PASSWORD}, format="json")
    assert genuine.status_code == 204


# --- The real background thread, and a folder of .eml files ------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_email_is_sent_by_the_background_thread_after_the_response(settings, tmp_path: Path):
    settings.EMAIL_BACKEND = "config.email.EmlFileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    UserFactory.create(username="carol", email="carol@example.com")
    response = APIClient().post(RESET, {"email": "carol@example.com"}, format="json")
    assert response.status_code == 202
    tasks.wait_for_tasks()
    [eml] = list(tmp_path.glob("*.eml"))
    message = message_from_bytes(eml.read_bytes(), policy=email_policy.default)
    assert message["To"] == "carol@example.com"
    assert message.is_multipart()
    plain = message.get_body(preferencelist=("plain",))
    assert plain is not None
    text = plain.get_content()
    assert "/account/reset/?uid=" in text


@pytest.mark.django_db(transaction=True)
def test_a_failing_send_is_logged_and_does_not_stop_later_tasks(settings, caplog, monkeypatch):
    UserFactory.create(username="dave", email="dave@example.com")
    calls = []

    def fail_once(*, email):
        calls.append(email)
        if len(calls) == 1:
            raise ConnectionError("SMTP server unreachable")

    monkeypatch.setattr(tasks.services, "password_reset_email_send", fail_once)
    client = APIClient()
    client.post(RESET, {"email": "dave@example.com"}, format="json")
    client.post(RESET, {"email": "dave@example.com"}, format="json")
    tasks.wait_for_tasks()
    assert calls == ["dave@example.com", "dave@example.com"]
    assert "background task password_reset_email failed" in caplog.text


def test_with_a_broker_the_email_is_queued_for_the_worker_after_commit(
    api_client, alice, monkeypatch, settings, django_capture_on_commit_callbacks
):
    queued: list[dict] = []
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(tasks.password_reset_email, "delay", lambda **kwargs: queued.append(kwargs))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api_client.post(RESET, {"email": "alice@example.com"}, format="json")
        assert queued == []  # nothing leaves before the transaction commits
    assert response.status_code == 202
    for callback in callbacks:
        callback()
    assert queued == [{"email": "alice@example.com"}]
    assert mail.outbox == []  # the worker sends it, not the web process
