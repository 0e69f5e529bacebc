import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from config.api.versioning import for_version

pytestmark = [pytest.mark.urls("config.tests.urls"), pytest.mark.django_db]


def test_no_version_means_version_1(api_client):
    response = api_client.get("/api/echo/")
    assert response.status_code == 200
    assert response.json() == {"version": "1"}
    assert response["API-Version"] == "1"


def test_version_2_is_chosen_with_the_accept_header(api_client):
    response = api_client.get("/api/echo/", HTTP_ACCEPT="application/json; version=2")
    assert response.json() == {"version": "2"}
    assert response["API-Version"] == "2"


@pytest.mark.parametrize("version", ["3", "0", "abc", "1.0"])
def test_an_unsupported_version_is_a_406_listing_the_supported_ones(api_client, version):
    response = api_client.get("/api/echo/", HTTP_ACCEPT=f"application/json; version={version}")
    assert response.status_code == 406
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["supported_versions"] == ["1", "2"]
    assert body["code"] == "unsupported_version"
    assert response["API-Version"] == "1"


def test_every_api_response_varies_on_accept(api_client):
    for path in ("/api/echo/", "/api/nowhere/", "/api/schema/"):
        response = api_client.get(path)
        assert "Accept" in response["Vary"], path
        assert response.has_header("API-Version"), path


def test_health_and_admin_carry_no_api_version(api_client):
    assert not api_client.get("/health/live").has_header("API-Version")
    assert not api_client.get("/admin/login/").has_header("API-Version")


def test_the_schema_documents_the_version_asked_for(api_client):
    response = api_client.get("/api/schema/?version=2", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response["API-Version"] == "2"


def test_the_schema_refuses_an_unknown_version(api_client):
    response = api_client.get("/api/schema/?version=7")
    assert response.status_code == 406
    assert response.json()["supported_versions"] == ["1", "2"]


@pytest.mark.parametrize(("version", "chosen"), [(None, "A"), ("1", "A"), ("2", "B")])
def test_for_version_picks_what_the_negotiated_version_selects(version, chosen):
    request = Request(APIRequestFactory().get("/api/movies/"))
    request.version = version  # what AcceptHeaderVersioning negotiated; None: the schema generator
    assert for_version(request, {"1": "A", "2": "B"}) == chosen
