"""The request path stays cheap for the API: browser middleware skips it, the JSON log is lean."""

import json
import logging
import sys

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from config.logging import JsonFormatter, RequestIdFilter, request_id_var
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
