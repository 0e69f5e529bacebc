"""The rebuild task: retried with backoff on transient errors, logged with the request that queued it."""

import logging

import pytest
from django.db import OperationalError

from config.celery import REQUEST_ID_HEADER, _add_request_id, app
from config.logging import request_id_var
from recommendations import tasks
from recommendations.models import SimilarityModel

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_like_a_worker():
    """Eager runs that record failures and run retries instead of raising (as a worker does)."""
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


def test_the_task_builds_and_swaps_in_a_model(taste):
    result = tasks.rebuild_similarities.apply()
    assert result.successful()
    assert result.result["model"] == SimilarityModel.objects.get(is_active=True).pk


def test_a_transient_failure_is_retried_then_succeeds(taste, monkeypatch, caplog, eager_like_a_worker):
    real_build = tasks.similarity_model_build
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("the database restarted")
        return real_build()

    monkeypatch.setattr(tasks, "similarity_model_build", flaky)
    with caplog.at_level(logging.WARNING, logger="config.celery"):
        result = tasks.rebuild_similarities.apply()
    assert result.successful()
    assert len(calls) == 3
    assert sum("will be retried" in record.getMessage() for record in caplog.records) == 2


def test_retries_back_off_and_give_up_after_five():
    task = tasks.rebuild_similarities
    assert task.max_retries == 5
    assert task.retry_backoff == 30 and task.retry_backoff_max == 600 and task.retry_jitter
    assert issubclass(OperationalError, task.autoretry_for)
    assert not issubclass(ValueError, task.autoretry_for)


def test_a_bug_is_not_retried_and_is_logged(monkeypatch, caplog, db, eager_like_a_worker):
    calls = []

    def broken():
        calls.append(1)
        raise ValueError("a bug")

    monkeypatch.setattr(tasks, "similarity_model_build", broken)
    with caplog.at_level(logging.ERROR, logger="config.celery"):
        result = tasks.rebuild_similarities.apply()
    assert result.failed()
    assert calls == [1]
    assert any("failed: ValueError('a bug')" in record.getMessage() for record in caplog.records)


def test_a_task_runs_under_the_request_id_it_was_queued_with(monkeypatch, db):
    seen = []

    def build() -> SimilarityModel:
        seen.append(request_id_var.get())
        return SimilarityModel.objects.create()

    monkeypatch.setattr(tasks, "similarity_model_build", build)
    tasks.rebuild_similarities.apply(headers={REQUEST_ID_HEADER: "req-1234"})
    assert seen == ["req-1234"]
    assert request_id_var.get() == "-"  # restored once the task ended


def test_queuing_a_task_inside_a_request_adds_its_id_to_the_headers():
    token = request_id_var.set("req-abcd")
    try:
        headers: dict[str, str] = {}
        _add_request_id(headers=headers)
    finally:
        request_id_var.reset(token)
    assert headers == {REQUEST_ID_HEADER: "req-abcd"}
    outside: dict[str, str] = {}
    _add_request_id(headers=outside)
    assert outside == {}
