"""The request path stays cheap for the API: browser middleware skips it, the JSON log is lean."""

import io
import json
import logging
import sys

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from config.logging import JsonFormatter, RequestIdFilter, _only_json_handler, log_info, request_id_var
from config.middleware import AuthenticationMiddleware, MessageMiddleware, SessionMiddleware

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("middleware", [SessionMiddleware, AuthenticationMiddleware, MessageMiddleware])
@pytest.mark.parametrize("path", ["/api/movies/", "/api/users/me/", "/health/live"])
def test_browser_middleware_leaves_api_and_health_requests_alone(middleware, path):
    seen = {}

    def view(request):
        seen.update(vars(request))
        return HttpResponse("ok")

    middleware(view)(RequestFactory().get(path))
    assert not {"session", "user", "_messages"} & set(seen)


def test_browser_middleware_still_runs_for_the_admin():
    seen = {}

    def view(request):
        seen.update(vars(request))
        return HttpResponse("ok")

    SessionMiddleware(AuthenticationMiddleware(MessageMiddleware(view)))(RequestFactory().get("/admin/"))
    assert {"session", "user", "_messages"} <= set(seen)


def test_the_admin_login_page_still_works_with_its_session_and_csrf_cookie(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert "csrftoken" in response.cookies


def format_record(message, *args, exc_info=None, **extra):
    record = logging.getLogger("config.request").makeRecord(
        "config.request", logging.INFO, __file__, 1, message, args, exc_info, extra=extra
    )
    RequestIdFilter().filter(record)
    return json.loads(JsonFormatter().format(record))


def test_the_json_log_line_has_the_request_fields_and_every_extra():
    token = request_id_var.set("req-1")
    try:
        line = format_record(
            "%s %s",
            "GET",
            "/api/movies/",
            method="GET",
            path="/api/movies/",
            status=200,
            duration_ms=1.5,
            user_id=7,
            cache="HIT",
        )
    finally:
        request_id_var.reset(token)
    assert line["message"] == "GET /api/movies/"
    assert (line["level"], line["logger"], line["request_id"]) == ("INFO", "config.request", "req-1")
    assert {k: line[k] for k in ("method", "path", "status", "duration_ms", "user_id", "cache")} == {
        "method": "GET",
        "path": "/api/movies/",
        "status": 200,
        "duration_ms": 1.5,
        "user_id": 7,
        "cache": "HIT",
    }
    assert len(line["time"]) == len("2026-01-01 00:00:00,000")


def test_the_json_log_line_carries_the_traceback_and_survives_odd_values():
    try:
        raise ValueError("boom")
    except ValueError:
        line = format_record("failed", exc_info=sys.exc_info(), thing=object())
    assert "ValueError: boom" in line["exc_info"]
    assert line["thing"].startswith("<object")


@pytest.fixture
def json_logger(monkeypatch):
    """A logger configured as production configures the root: one stream handler writing JSON lines.

    Returns a function that sets aside the capture handlers pytest adds when the test itself
    begins (it adds them to loggers that do not propagate too): call it first in the test."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("config.tests.request-log")
    logger.setLevel(logging.INFO)
    monkeypatch.setattr(logger, "propagate", False)

    def production_like():
        monkeypatch.setattr(logger, "handlers", [handler])
        assert _only_json_handler(logger) is handler  # the direct path is the one under test
        return logger, stream, handler

    return production_like


REQUEST_FIELDS = {
    "method": "GET",
    "path": "/api/movies/",
    "status": 200,
    "duration_ms": 1.25,
    "user_id": 7,
    "cache": "HIT",
}


def test_the_request_line_written_directly_is_the_line_logging_writes(json_logger):
    logger, stream, _ = json_logger()
    token = request_id_var.set("req-1")
    try:
        log_info(logger, "GET /api/movies/ 200 1.2ms", REQUEST_FIELDS)
        logger.info("%s", "GET /api/movies/ 200 1.2ms", extra=REQUEST_FIELDS)
    finally:
        request_id_var.reset(token)
    direct, through_logging = (json.loads(line, object_pairs_hook=list) for line in stream.getvalue().splitlines())
    assert [key for key, _ in direct] == [key for key, _ in through_logging]
    assert direct[1:] == through_logging[1:]  # everything but the time
    assert dict(direct)["request_id"] == "req-1" and dict(direct)["user_id"] == 7


def test_the_request_line_takes_loggings_path_when_another_handler_listens(json_logger, caplog):
    logger, stream, _ = json_logger()
    logger.propagate = True  # pytest's capture handler, on the root, now hears this logger too
    assert _only_json_handler(logger) is None
    with caplog.at_level(logging.INFO, logger=logger.name):
        log_info(logger, "GET /api/movies/ 200 1.2ms", REQUEST_FIELDS)
    # One record (pytest may list the same record once per capture handler it installed).
    [record] = {id(r): r for r in caplog.records if r.name == logger.name}.values()
    assert (record.getMessage(), record.path, record.cache) == ("GET /api/movies/ 200 1.2ms", "/api/movies/", "HIT")
    assert json.loads(stream.getvalue())["status"] == 200


def test_a_failed_write_is_reported_the_way_logging_reports_it(json_logger, monkeypatch):
    logger, _, handler = json_logger()
    reported = []
    monkeypatch.setattr(handler, "handleError", lambda record: reported.append(record.getMessage()))

    class FullDisk(io.StringIO):
        def write(self, text):
            raise OSError("disk full")

    monkeypatch.setattr(handler, "stream", FullDisk())
    log_info(logger, "GET /api/movies/ 200 1.2ms", REQUEST_FIELDS)
    assert reported == ["GET /api/movies/ 200 1.2ms"]
