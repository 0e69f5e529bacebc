import pytest

pytestmark = [pytest.mark.urls("config.tests.urls"), pytest.mark.django_db]


def test_a_body_over_the_limit_is_a_413_before_it_is_read(api_client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 1000
    response = api_client.post("/api/echo/", {"text": "x" * 2000}, format="json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "payload_too_large"


def test_a_body_under_the_limit_is_accepted(api_client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 1000
    assert api_client.post("/api/echo/", {"text": "x" * 100}, format="json").status_code == 200


def test_json_nested_too_deeply_is_a_400_not_a_500(api_client):
    api_client.raise_request_exception = False
    response = api_client.post("/api/echo/", "[" * 50_000, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_every_response_carries_a_content_security_policy(api_client):
    assert "default-src 'self'" in api_client.get("/health/live")["Content-Security-Policy"]
