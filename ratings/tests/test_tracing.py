"""Traces of a rating write (SPEC section 16): the HTTP request, its SQL and its Redis calls."""

import logging

import pytest
from django.db import connection
from django.urls import reverse
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from config import tracing
from config.logging import RequestIdFilter
from conftest import client_for
from movies.tests.factories import MovieFactory
from users.tests.factories import UserFactory

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


class Collect(logging.Handler):
    """The (trace id, span id) of each record, as the project's log filter sets them."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.addFilter(RequestIdFilter())
        self.ids: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.ids.append((record.trace_id, record.span_id))  # type: ignore[attr-defined]


@pytest.fixture
def spans(settings, redis_url, uses_postgres):
    """Tracing on, exporting to memory, for one test; the process is left as it was."""
    if not uses_postgres:
        pytest.skip("needs DATABASE_URL: the psycopg instrumentation traces PostgreSQL")
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    middleware = list(settings.MIDDLEWARE)
    connection.close()  # the next connection is opened through the instrumented psycopg.connect
    tracing.configure_tracing(tracer_provider=provider)
    try:
        yield exporter
    finally:
        tracing.unconfigure_tracing()
        settings.MIDDLEWARE = middleware
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_rating_write_is_traced_through_http_sql_and_redis(spans):
    user, movie = UserFactory.create(), MovieFactory.create()
    client = client_for(user)
    url = reverse("movie-own-rating", kwargs={"movie_id": movie.pk})
    spans.clear()
    lines = Collect()
    request_logger = logging.getLogger("config.request")
    request_logger.addHandler(lines)
    try:
        response = client.put(url, {"score": 4}, format="json", HTTP_TRACEPARENT=TRACEPARENT)
    finally:
        request_logger.removeHandler(lines)
    assert response.status_code == 201

    finished = spans.get_finished_spans()
    server = [span for span in finished if span.kind == SpanKind.SERVER]
    assert len(server) == 1
    assert server[0].attributes["http.method"] == "PUT"
    assert server[0].attributes["http.status_code"] == 201
    assert server[0].attributes["http.route"] == "api/movies/<int:movie_id>/rating/"
    # The caller's trace is continued, and every span belongs to it.
    assert {format(span.context.trace_id, "032x") for span in finished} == {TRACE_ID}
    assert format(server[0].parent.span_id, "016x") == "00f067aa0ba902b7"

    sql = [span for span in finished if span.attributes.get("db.system") == "postgresql"]
    # The throttle's INSERT, and the rating write: the rater's lock and one WITH statement, sent
    # together in one message on PostgreSQL (ratings.services), so one span named by the first.
    assert [span.name for span in sql][-2:] == ["INSERT", "SELECT"]
    assert "FOR UPDATE;\nWITH movie AS" in sql[-1].attributes["db.statement"]
    redis = [span for span in finished if span.attributes.get("db.system") == "redis"]
    assert redis, [span.name for span in finished]
    assert all(span.parent is not None for span in [*sql, *redis])

    # The request's log line carries the trace id and the server span's id.
    assert lines.ids == [(TRACE_ID, format(server[0].context.span_id, "016x"))]
