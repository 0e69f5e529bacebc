import pytest

from conftest import assert_problem

pytestmark = [pytest.mark.urls("config.tests.urls"), pytest.mark.django_db]


def test_an_unknown_api_path_is_a_problem_404(api_client):
    body = assert_problem(api_client.get("/api/does-not-exist/"), 404)
    assert body["code"] == "not_found"


def test_a_wrong_method_is_a_problem_405(api_client):
    body = assert_problem(api_client.delete("/api/echo/"), 405)
    assert body["code"] == "method_not_allowed"


def test_an_unsupported_media_type_is_a_problem_415(api_client):
    response = api_client.post("/api/echo/", "a=1", content_type="application/x-www-form-urlencoded")
    assert_problem(response, 415)


def test_malformed_json_is_a_problem_400(api_client):
    response = api_client.post("/api/echo/", "{not json", content_type="application/json")
    body = assert_problem(response, 400)
    assert body["code"] == "parse_error"


def test_a_429_carries_retry_after_rounded_up(api_client):
    response = api_client.get("/api/throttled/")
    assert_problem(response, 429)
    assert response["Retry-After"] == "13"


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_a_500_is_a_problem_without_internals(api_client, settings, debug):
    settings.DEBUG = debug  # under DEBUG, ApiProblemsMiddleware replaces Django's traceback page
    api_client.raise_request_exception = False
    response = api_client.get("/api/boom/")
    body = assert_problem(response, 500)
    assert "secret internals" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert body["code"] == "server_error"


def test_pages_outside_the_api_keep_django_errors(api_client):
    response = api_client.get("/not-api/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_an_unreachable_database_is_a_retryable_503(api_client, monkeypatch):
    from django.db import OperationalError

    from config.tests import urls

    def unreachable(self, request):
        raise OperationalError("connection refused")

    monkeypatch.setattr(urls.EchoView, "get", unreachable)
    response = api_client.get("/api/echo/")
    body = assert_problem(response, 503)
    assert body["code"] == "database_unavailable"
    assert response["Retry-After"] == "5"


def test_a_value_the_database_refuses_is_a_problem_400_not_a_500(api_client):
    body = assert_problem(api_client.get("/api/out-of-range/"), 400)
    assert body["code"] == "invalid"


@pytest.mark.parametrize(
    "path",
    ["/api/users/a%00b/ratings/", "/api/movies/1%00/", "/admin/users/user/?q=%00", "/admin/login/?next=/%00"],
)
def test_a_nul_in_a_path_or_a_non_api_query_is_a_400(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 400
    assert response.json()["code"] == "nul"


def test_api_views_name_the_parameter_that_holds_a_nul(api_client):
    body = assert_problem(api_client.get("/api/movies/?search=a%00b"), 400)
    assert [error["field"] for error in body["errors"]] == ["search"]


def test_a_write_method_a_route_does_not_take_is_a_405_before_permissions(user_client):
    response = user_client.put("/api/movies/top/")
    assert_problem(response, 405)
    assert response["Allow"] == "GET, HEAD, OPTIONS"
