"""Problem details under /api/ in development mode (`DEBUG=true`, as `make run` runs) too: SPEC 5."""

import pytest
from django.urls import reverse

from conftest import assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def debug(settings):
    settings.DEBUG = True


def test_an_unknown_api_path_is_a_problem_404_not_the_debug_page(api_client):
    response = api_client.get("/api/nope/")
    body = assert_problem(response, 404)
    assert body["code"] == "not_found"
    assert "urlpatterns" not in response.content.decode()


def test_a_post_missing_its_trailing_slash_is_a_404_naming_the_right_path(api_client):
    path = reverse("movie-list").rstrip("/")
    response = api_client.post(path, {"title": "Heat"}, format="json")
    body = assert_problem(response, 404)
    assert body["code"] == "trailing_slash_missing"
    assert f"{path}/" in body["detail"]


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_writes_missing_their_trailing_slash_are_the_same_404(api_client, method):
    response = getattr(api_client, method)("/api/users/me", {}, format="json")
    assert assert_problem(response, 404)["code"] == "trailing_slash_missing"


def test_a_get_missing_its_trailing_slash_still_redirects(api_client):
    response = api_client.get("/api/movies")
    assert response.status_code == 301
    assert response["Location"] == "/api/movies/"


def test_pages_outside_the_api_keep_the_debug_pages(client):
    response = client.get("/nope/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("path", ["/api/movies/", "/api/users/me/"])
def test_trace_is_a_405_naming_the_allowed_methods_before_any_authentication(api_client, path):
    response = api_client.generic("TRACE", path)
    body = assert_problem(response, 405)
    assert body["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]
    assert "TRACE" not in response["Allow"]


def test_a_method_no_view_answers_on_an_unknown_path_is_the_404(api_client):
    assert assert_problem(api_client.generic("TRACE", "/api/nope/"), 404)["code"] == "not_found"


def test_trace_on_a_plain_view_names_its_own_methods(api_client):
    response = api_client.generic("TRACE", reverse("token-obtain"))
    assert_problem(response, 405)
    assert response["Allow"] == "OPTIONS, POST"


def test_a_disallowed_host_in_debug_is_a_problem_400_not_the_debug_page(api_client):
    response = api_client.get(reverse("movie-list"), HTTP_HOST="evil.example")
    body = assert_problem(response, 400)
    assert body["code"] == "bad_request"
    assert "DisallowedHost" not in response.content.decode()
