import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditEvent
from audit.services import audit_record

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:audit_auditevent_changelist")


@pytest.fixture
def staff_admin(client, staff_user):
    client.force_login(staff_user)
    AuditEvent.objects.all().delete()  # the login's own event: each test counts only its own
    return client


def listed(response) -> list[str]:
    assert response.status_code == 200
    return [event.action for event in response.context["cl"].result_list]


def test_staff_see_the_trail_newest_first(staff_admin, user):
    audit_record(action=Action.AUTH_LOGIN, actor=user)
    audit_record(action=Action.USER_EMAIL_CHANGE, actor=user, target=user)
    assert listed(staff_admin.get(CHANGELIST)) == ["user.email_change", "auth.login"]


def test_the_trail_is_searchable_by_username_and_object(staff_admin, user, staff_user):
    audit_record(action=Action.AUTH_LOGIN, actor=user)
    audit_record(action=Action.USER_DELETE, actor=staff_user, target=staff_user)
    assert listed(staff_admin.get(CHANGELIST, {"q": user.username})) == ["auth.login"]
    assert listed(staff_admin.get(CHANGELIST, {"q": str(staff_user)})) == ["user.delete"]


def test_the_trail_is_filterable_by_action_and_date(staff_admin, user):
    audit_record(action=Action.AUTH_LOGIN, actor=user)
    audit_record(action=Action.AUTH_LOGIN_FAILED, details={"username": "mallory"})
    assert listed(staff_admin.get(CHANGELIST, {"action": "auth.login_failed"})) == ["auth.login_failed"]
    event = AuditEvent.objects.get(action="auth.login")
    day = {"created_at__year": event.created_at.year, "created_at__month": event.created_at.month}
    assert sorted(listed(staff_admin.get(CHANGELIST, day))) == ["auth.login", "auth.login_failed"]
    assert listed(staff_admin.get(CHANGELIST, {"created_at__year": event.created_at.year - 1})) == []


def test_the_trail_can_be_read_but_not_added_changed_or_deleted(staff_admin, user):
    event = audit_record(action=Action.AUTH_LOGIN, actor=user)
    change_url = reverse("admin:audit_auditevent_change", args=[event.pk])
    page = staff_admin.get(change_url)
    assert page.status_code == 200
    assert user.username in page.content.decode()
    assert staff_admin.post(change_url, {"action": "auth.logout"}).status_code == 403
    assert staff_admin.get(reverse("admin:audit_auditevent_add")).status_code == 403
    delete_url = reverse("admin:audit_auditevent_delete", args=[event.pk])
    assert staff_admin.post(delete_url, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get().action == "auth.login"


def test_people_without_staff_status_cannot_read_the_trail(client, user):
    client.force_login(user)
    assert client.get(CHANGELIST).status_code == 302


def test_an_admin_login_and_a_failed_one_are_recorded_without_the_password(client, staff_user):
    login = reverse("admin:login")
    client.post(login, {"username": staff_user.username, "password": "wrong-guess-123"})
    client.post(login, {"username": staff_user.username, "password": "correct-horse-battery-staple"})
    failed, succeeded = AuditEvent.objects.order_by("id")
    assert (failed.action, failed.actor, failed.actor_username) == ("auth.login_failed", None, staff_user.username)
    assert failed.details == {"via": "session"}
    assert (succeeded.action, succeeded.actor) == ("auth.login", staff_user)
    assert succeeded.client_address == "127.0.0.1"
    assert all("wrong-guess" not in str(value) for value in AuditEvent.objects.values_list())


def test_the_changelist_costs_the_same_queries_whatever_its_size(staff_admin, user):
    counts = []
    for size in (3, 60):
        for _ in range(size - AuditEvent.objects.count()):
            audit_record(action=Action.AUTH_LOGIN, actor=user)
        with CaptureQueriesContext(connection) as queries:
            assert staff_admin.get(CHANGELIST).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
