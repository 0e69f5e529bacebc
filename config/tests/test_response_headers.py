"""Every response's headers, pinned whole for the hot paths: health, a cached API read (and its
304), the API's early answers, the admin and the website. ResponseHeadersMiddleware sets the API
version, no-store and CSP headers in one pass; Django's SecurityMiddleware and
XFrameOptionsMiddleware the rest."""

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path, reverse

from config.tests import urls as test_urls

# This module's routes: the test routes (a cached view at /api/counter/) and the project's.
pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]
COUNTER = "/api/counter/"  # cached by config.cache like the catalogue's reads

SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Content-Security-Policy": settings.CONTENT_SECURITY_POLICY,
}


def headers_of(response) -> dict[str, str]:
    headers = dict(response.headers)
    assert len(headers.pop("X-Request-ID")) == 32
    return headers


def test_health_live_carries_exactly_these_headers(api_client):
    response = api_client.get(reverse("health-live"))
    assert headers_of(response) == {
        "Content-Type": "application/json",
        "Cache-Control": "max-age=0, no-cache, no-store, must-revalidate, private",
        "X-Frame-Options": "DENY",
        "Content-Length": "16",
        **SECURITY,
    }


def test_a_cached_api_read_carries_exactly_these_headers(user_client):
    url = COUNTER
    assert user_client.get(url)["X-Cache"] == "MISS"
    response = user_client.get(url)
    headers = headers_of(response)
    etag = headers.pop("ETag")
    assert headers == {
        "Content-Type": "application/json",
        "X-Cache": "HIT",
        "Cache-Control": "private, no-cache",
        "Allow": "GET, HEAD, OPTIONS",
        "X-Frame-Options": "DENY",
        "Content-Length": str(len(response.content)),
        **SECURITY,
        "API-Version": "1",
        "Vary": "Accept",
    }
    not_modified = user_client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    assert headers_of(not_modified) == {
        "Cache-Control": "private, no-cache",
        "ETag": etag,
        "Content-Length": "0",
        **SECURITY,
        "API-Version": "1",
        "Vary": "Accept",
    }


def test_a_version_2_read_says_its_version_in_the_media_type(api_client):
    for cache_state in ("MISS", "HIT"):
        response = api_client.get(COUNTER, HTTP_ACCEPT="application/json; version=2")
        assert response["X-Cache"] == cache_state
        assert response["Content-Type"] == "application/json; version=2"
        assert (response["API-Version"], response["Vary"]) == ("2", "Accept")


def test_private_responses_are_not_stored_errors_included(api_client, user_client):
    me = reverse("user-me")
    assert user_client.get(me)["Cache-Control"] == "no-store"
    refused = api_client.get(me)
    assert refused.status_code == 401
    assert refused["Cache-Control"] == "no-store"
    assert refused["API-Version"] == "1"


def test_the_apis_early_answers_carry_the_version_and_the_policy(api_client):
    response = api_client.generic("TRACE", reverse("movie-list"))
    assert response.status_code == 405
    assert response["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
    assert (response["API-Version"], response["Vary"]) == ("1", "Accept")


def test_an_api_path_without_its_slash_is_still_redirected(api_client):
    response = api_client.get("/api/movies")
    assert response.status_code == 301
    assert response["Location"] == "/api/movies/"
    assert (response["API-Version"], response["Vary"]) == ("1", "Accept")


def varies_on_origin(request):
    response = HttpResponse("{}", content_type="application/json")
    response["Vary"] = "Origin"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


urlpatterns = [path("api/varies/", varies_on_origin), *test_urls.urlpatterns]


def test_a_views_own_vary_and_policy_are_kept(api_client):
    response = api_client.get("/api/varies/")
    assert response["Vary"] == "Origin, Accept"
    assert response["Content-Security-Policy"] == "default-src 'none'"


@pytest.mark.parametrize("name", ["admin:login", "web:catalogue", "web:login"])
def test_browser_pages_carry_the_security_headers_and_no_api_version(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    headers = headers_of(response)
    assert {key: headers[key] for key in SECURITY} == SECURITY
    assert headers["X-Frame-Options"] == "DENY"
    assert "Cookie" in headers["Vary"]
    assert "API-Version" not in headers


@override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True, SECURE_HSTS_PRELOAD=True)
def test_https_responses_carry_hsts(api_client):
    response = api_client.get(reverse("health-live"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
