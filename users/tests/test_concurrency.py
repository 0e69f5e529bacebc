"""Real threads against PostgreSQL: the personal access token cap holds under concurrent creations."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from users.models import PersonalAccessToken
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and real concurrency need PostgreSQL (DATABASE_URL)")


def test_concurrent_creations_never_exceed_20_live_tokens():
    user = UserFactory.create()
    now = timezone.now()
    PersonalAccessToken.objects.bulk_create(
        PersonalAccessToken(
            owner=user,
            name=f"existing {n}",
            scopes="read",
            key_hash=f"{n:064x}",
            prefix="mr_pat_existing",
            expires_at=now + timedelta(days=1),
        )
        for n in range(17)
    )
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def create(number: int) -> None:
        client = client_for(user)
        try:
            barrier.wait()
            response = client.post(
                reverse("personal-access-token-list"), {"name": f"new {number}", "scopes": ["read"]}, format="json"
            )
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [201] * 3 + [400] * 5
    assert PersonalAccessToken.objects.live().filter(owner=user).count() == 20


def test_concurrent_creations_with_one_name_leave_one_token():
    user = UserFactory.create()
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def create() -> None:
        client = client_for(user)
        try:
            barrier.wait()
            response = client.post(
                reverse("personal-access-token-list"), {"name": "Same", "scopes": ["read"]}, format="json"
            )
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [201] + [400] * 5
    assert PersonalAccessToken.objects.filter(owner=user).count() == 1
