import io
import json
import logging
import subprocess
import sys
from logging.config import dictConfig
from typing import Any

import pytest

from config import tracing

pytestmark = [pytest.mark.urls("config.tests.urls"), pytest.mark.django_db]

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"


def request_line(client, caplog, **headers) -> Any:
    with caplog.at_level(logging.INFO, logger="config.request"):
        client.get("/api/echo/", **headers)
    [record] = [r for r in caplog.records if r.name == "config.request"]
    return record


def test_an_incoming_traceparent_is_continued_in_the_request_log_line_without_the_sdk(api_client, caplog):
    assert not tracing.tracing_enabled()
    record = request_line(api_client, caplog, HTTP_TRACEPARENT=TRACEPARENT)
    assert record.trace_id == TRACE_ID
    assert len(record.span_id) == 16
    assert record.span_id != "b7ad6b7169203331"  # this request is a new span under the caller's


def test_every_line_logged_during_the_request_has_the_trace_id(api_client, caplog):
    with caplog.at_level(logging.INFO):
        api_client.get("/api/nowhere/", HTTP_TRACEPARENT=TRACEPARENT)
    assert caplog.records
    assert {record.trace_id for record in caplog.records} == {TRACE_ID}


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        f"ff-{TRACE_ID}-b7ad6b7169203331-01",  # version ff is invalid
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",
        f"00-{TRACE_ID}-0000000000000000-01",
        f"00-{TRACE_ID}-b7ad6b7169203331-01\nforged log line",
    ],
)
def test_an_invalid_traceparent_starts_a_new_trace(api_client, caplog, header):
    record = request_line(api_client, caplog, HTTP_TRACEPARENT=header)
    assert record.trace_id != TRACE_ID
    assert len(record.trace_id) == 32 and int(record.trace_id, 16)


def test_requests_without_a_traceparent_get_distinct_trace_ids(api_client, caplog):
    first = request_line(api_client, caplog).trace_id
    caplog.clear()
    assert request_line(api_client, caplog).trace_id != first


def test_the_production_json_line_has_request_trace_and_span_ids(api_client, settings):
    stream = io.StringIO()
    config = {**settings.LOGGING, "handlers": {**settings.LOGGING["handlers"]}}
    config["handlers"]["stderr"] = {**config["handlers"]["stderr"], "formatter": "json", "stream": stream}
    dictConfig(config)
    try:
        api_client.get("/api/echo/", HTTP_TRACEPARENT=TRACEPARENT, HTTP_X_REQUEST_ID="req-7")
    finally:
        dictConfig(settings.LOGGING)
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert (line["request_id"], line["trace_id"]) == ("req-7", TRACE_ID)
    assert len(line["span_id"]) == 16


def test_without_an_endpoint_nothing_is_instrumented_or_exported():
    # redis-py imports parts of the SDK by itself when installed; nothing here may set it up.
    code = (
        "import os, sys; os.environ.pop('OTEL_EXPORTER_OTLP_ENDPOINT', None);"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings.test';"
        "import config.wsgi; from config import tracing;"
        "from django.test import Client; Client().get('/health/live');"
        "from django.conf import settings;"
        "prefixes = ('opentelemetry.instrumentation', 'opentelemetry.exporter');"
        "loaded = [m for m in sys.modules if m.startswith(prefixes)];"
        "print(tracing.tracing_enabled(), loaded, settings.MIDDLEWARE[0])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False [] config.metrics.MetricsMiddleware"


def test_with_an_endpoint_the_wsgi_entry_point_sets_up_the_exporter():
    code = (
        "import os, sys; os.environ['OTEL_EXPORTER_OTLP_ENDPOINT'] = 'http://127.0.0.1:9';"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings.test';"
        "import config.wsgi; from config import tracing; from opentelemetry import trace;"
        "from django.conf import settings;"
        "print(tracing.tracing_enabled(), type(trace.get_tracer_provider()).__name__,"
        " settings.MIDDLEWARE[0].startswith('opentelemetry'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "TracerProvider", "True"]
