"""What the Celery signal handlers record: task runs and failures, and the queued trace."""

from types import SimpleNamespace

from prometheus_client import REGISTRY

from config import metrics, tracing

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"


def runs(task: str, state: str) -> float:
    return REGISTRY.get_sample_value("tasks_total", {"task": task, "state": state}) or 0.0


def test_task_runs_are_counted_by_outcome_and_timed():
    task = SimpleNamespace(name="recommendations.refresh")
    before_ok, before_failed = runs(task.name, "success"), runs(task.name, "failure")
    timed = REGISTRY.get_sample_value("task_duration_seconds_count", {"task": task.name}) or 0.0
    metrics.task_started("t-1")
    metrics.task_finished("t-1", task=task, state="SUCCESS")
    metrics.task_started("t-2")
    metrics.task_finished("t-2", task=task, state="FAILURE")
    assert runs(task.name, "success") == before_ok + 1
    assert runs(task.name, "failure") == before_failed + 1
    assert REGISTRY.get_sample_value("task_duration_seconds_count", {"task": task.name}) == timed + 2


def test_a_queued_task_carries_the_requests_trace_into_its_log_context():
    token = tracing.trace_var.set((TRACE_ID, "b7ad6b7169203331"))
    headers: dict[str, str] = {}
    try:
        tracing.inject_traceparent(headers=headers)
    finally:
        tracing.trace_var.reset(token)
    assert headers == {"traceparent": f"00-{TRACE_ID}-b7ad6b7169203331-01"}

    # In the worker: the header arrives on the task's request.
    task = SimpleNamespace(request=SimpleNamespace(traceparent=headers["traceparent"], headers=None))
    tracing.enter_task_trace("t-3", task)
    trace_id, span_id = tracing.current_ids()
    tracing.leave_task_trace("t-3")
    assert trace_id == TRACE_ID
    assert span_id != "b7ad6b7169203331"
    assert tracing.current_ids() == ("-", "-")


def test_a_task_queued_outside_a_request_starts_its_own_trace():
    headers: dict[str, str] = {}
    tracing.inject_traceparent(headers=headers)
    assert headers == {}
    task = SimpleNamespace(request=SimpleNamespace(headers={}))
    tracing.enter_task_trace("t-4", task)
    trace_id, _ = tracing.current_ids()
    tracing.leave_task_trace("t-4")
    assert len(trace_id) == 32 and trace_id != "-"
