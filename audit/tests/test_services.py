import logging
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from audit.services import audit_prune, audit_record, client_address

pytestmark = pytest.mark.django_db


def request_from(address: str = "203.0.113.7", **headers):
    request = RequestFactory().post("/api/auth/token/", REMOTE_ADDR=address, **headers)
    request.id = "req-123"  # type: ignore[attr-defined]  # set by RequestIdMiddleware
    return request


def test_an_event_records_who_what_to_what_from_where_and_the_request_id(user, staff_user):
    event = audit_record(action=Action.USER_EMAIL_CHANGE, request=request_from(), actor=staff_user, target=user)
    stored = AuditEvent.objects.get()
    assert stored == event
    assert (stored.action, stored.actor) == ("user.email_change", staff_user)
    assert stored.actor_username == staff_user.username
    assert (stored.target_type, stored.target_id, stored.target_repr) == ("users.user", str(user.pk), str(user))
    assert (stored.client_address, stored.request_id) == ("203.0.113.7", "req-123")


def test_the_actor_defaults_to_the_requests_user(user):
    request = request_from()
    request.user = user
    assert audit_record(action=Action.AUTH_LOGOUT, request=request).actor == user


def test_an_unknown_action_is_refused():
    with pytest.raises(ValueError, match="Unknown audit action"):
        audit_record(action="movie.steal")


def test_details_naming_a_password_are_refused():
    with pytest.raises(ValueError, match="passwords"):
        audit_record(action=Action.AUTH_LOGIN_FAILED, details={"username": "x", "Password": "hunter2"})
    assert not AuditEvent.objects.exists()


def test_the_event_is_rolled_back_with_the_change_it_records(user):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action=Action.USER_DELETE, actor=user, target=user)
        raise RuntimeError("the change failed")
    assert not AuditEvent.objects.exists()


def test_the_actors_name_survives_the_deletion_of_the_account(user):
    username = user.username
    audit_record(action=Action.USER_DELETE, actor=user, target=user)
    user.delete()
    event = AuditEvent.objects.get()
    assert (event.actor, event.actor_username, event.target_id) == (None, username, event.target_id)
    assert event.target_id


def test_each_event_is_logged_once_after_commit(user, caplog, django_capture_on_commit_callbacks):
    with caplog.at_level(logging.INFO, logger="audit"), django_capture_on_commit_callbacks(execute=True):
        audit_record(action=Action.MOVIE_DELETE, actor=user, details={"title": "Heat"})
    lines = [record for record in caplog.records if record.name == "audit"]
    assert len(lines) == 1
    assert lines[0].action == "movie.delete"
    assert lines[0].actor_username == user.username


def test_events_cannot_be_changed_or_deleted_one_by_one(user):
    event = audit_record(action=Action.AUTH_LOGIN, actor=user)
    event.action = Action.AUTH_LOGOUT
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


@pytest.mark.parametrize(
    ("forwarded", "proxies", "expected"),
    [
        (None, 0, "198.51.100.1"),
        ("203.0.113.9", 0, "198.51.100.1"),  # nobody is trusted to forward: the header is ignored
        ("203.0.113.9, 10.0.0.2", 1, "10.0.0.2"),
        ("not-an-address", 1, None),
    ],
)
def test_the_client_address_trusts_only_the_configured_proxies(settings, forwarded, proxies, expected):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    assert client_address(request_from("198.51.100.1", **headers)) == expected


def aged(days: int) -> AuditEvent:
    event = audit_record(action=Action.AUTH_LOGIN)
    AuditEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(days=days))
    return event


def test_pruning_deletes_only_events_older_than_the_retention(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    old, recent = aged(31), aged(29)
    assert audit_prune() == 1
    assert list(AuditEvent.objects.all()) == [recent]
    assert old.pk not in AuditEvent.objects.values_list("pk", flat=True)


def test_pruning_works_through_a_backlog_in_batches(monkeypatch):
    monkeypatch.setattr("audit.services.PRUNE_BATCH_SIZE", 2)
    for _ in range(5):
        aged(400)
    assert audit_prune() == 5
    assert not AuditEvent.objects.exists()


def test_the_prune_command_takes_the_retention_in_days(capsys):
    aged(10)
    aged(3)
    call_command("prune_audit_events", "--days", "7")
    assert "Deleted 1 audit events." in capsys.readouterr().out
    assert AuditEvent.objects.count() == 1


def test_the_prune_command_refuses_a_retention_under_a_day():
    aged(10)
    with pytest.raises(CommandError, match="at least 1"):
        call_command("prune_audit_events", "--days", "0")
    assert AuditEvent.objects.count() == 1


def test_the_daily_task_prunes_by_the_retention_and_beat_schedules_it(settings):
    from audit.tasks import prune_audit_events

    settings.AUDIT_RETENTION_DAYS = 30
    aged(31)
    kept = aged(1)
    assert prune_audit_events.apply().get() == 1
    assert list(AuditEvent.objects.all()) == [kept]
    entry = settings.CELERY_BEAT_SCHEDULE["prune-audit-events"]
    assert (entry["task"], entry["schedule"]) == ("audit.tasks.prune_audit_events", 24 * 60 * 60)
