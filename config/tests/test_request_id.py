import logging

import pytest

pytestmark = [pytest.mark.urls("config.tests.urls"), pytest.mark.django_db]


def test_a_request_id_is_generated_and_echoed(api_client):
    response = api_client.get("/health/live")
    assert len(response["X-Request-ID"]) == 32


def test_a_clients_request_id_is_kept(api_client):
    response = api_client.get("/api/nowhere/", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    assert response.json()["request_id"] == "abc-123"


def test_an_unsafe_request_id_is_replaced(api_client):
    response = api_client.get("/health/live", HTTP_X_REQUEST_ID="evil\nline")
    assert response["X-Request-ID"] != "evil\nline"


def test_every_request_writes_one_log_line_with_its_id(api_client, caplog):
    with caplog.at_level(logging.INFO, logger="config.request"):
        api_client.get("/api/echo/", HTTP_X_REQUEST_ID="req-42")
    [record] = [r for r in caplog.records if r.name == "config.request"]
    assert record.request_id == "req-42"
    assert (record.method, record.path, record.status) == ("GET", "/api/echo/", 200)
    assert record.duration_ms >= 0
