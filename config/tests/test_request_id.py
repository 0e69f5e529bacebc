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


def test_generated_request_ids_are_128_random_bits_in_hex_and_never_repeat(api_client):
    ids = {api_client.get("/health/live")["X-Request-ID"] for _ in range(200)}
    assert len(ids) == 200
    assert all(len(value) == 32 and set(value) <= set("0123456789abcdef") for value in ids)


def test_the_log_line_of_a_cached_read_names_the_user_and_the_cache_state(user, user_client, caplog):
    url = "/api/counter/"
    with caplog.at_level(logging.INFO, logger="config.request"):
        user_client.get(url)
        user_client.get(url, HTTP_X_REQUEST_ID="req-hit")
    miss, hit = [r for r in caplog.records if r.name == "config.request"]
    assert (miss.cache, hit.cache) == ("MISS", "HIT")
    assert (hit.request_id, hit.user_id, hit.method, hit.path, hit.status) == ("req-hit", user.pk, "GET", url, 200)
    assert hit.getMessage().startswith(f"GET {url} 200 ")


@pytest.mark.parametrize("level", ["INFO", "WARNING"])
def test_a_foreign_host_is_logged_as_one_warning_line_without_a_traceback(api_client, caplog, level):
    with caplog.at_level(level):
        response = api_client.get("/health/live", HTTP_HOST="evil.example", HTTP_X_REQUEST_ID="req-host")
    assert response.status_code == 400
    [record] = [r for r in caplog.records if r.name == "django.security.DisallowedHost"]
    assert (record.levelname, record.exc_info, record.request_id) == ("WARNING", None, "req-host")
    assert "evil.example" in record.getMessage()


def test_the_client_error_filter_leaves_the_servers_own_errors_alone(caplog):
    with caplog.at_level(logging.ERROR, logger="django.request"):
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logging.getLogger("django.request").exception("Internal Server Error")
    [record] = caplog.records
    assert record.levelname == "ERROR" and record.exc_info is not None
