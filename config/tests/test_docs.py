import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_only_assets_served_by_the_service(api_client, path):
    response = api_client.get(path, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    html = response.content.decode()
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
    assert external == []
    assert "fonts.googleapis" not in html
    assert "/static/drf_spectacular_sidecar/" in html or "/api/redoc/redoc.standalone.js" in html


def test_redocs_bundle_shows_its_logo_from_the_service_not_from_another_host(api_client, settings):
    settings.WHITENOISE_USE_FINDERS = True
    bundle = api_client.get("/api/redoc/redoc.standalone.js")
    assert bundle.status_code == 200
    assert bundle["Content-Type"].startswith("text/javascript")
    text = bundle.content.decode()
    assert "cdn.redoc.ly" not in text
    assert "/static/redoc/logo-mini.svg" in text
    assert api_client.get("/static/redoc/logo-mini.svg").status_code == 200


def test_the_schema_is_openapi_3(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_run_no_inline_script_so_the_policy_can_forbid_it(api_client, path):
    response = api_client.get(path, HTTP_ACCEPT="text/html")
    html = response.content.decode()
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert inline_scripts == []
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"].split("script-src")[1].split(";")[0]


def test_swagger_ui_start_up_script_is_served_by_the_service(api_client):
    response = api_client.get("/api/docs/?script=")
    assert response.status_code == 200
    assert "SwaggerUIBundle" in response.content.decode()


def test_the_schema_says_request_strings_cannot_hold_nul_characters(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    query_strings = [
        parameter["schema"]
        for path in schema["paths"].values()
        for operation in path.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query" and parameter["schema"].get("type") == "string"
    ]
    assert query_strings
    assert all("pattern" in s or "enum" in s for s in query_strings)
    query_parameters = [
        parameter
        for path in schema["paths"].values()
        for operation in path.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
    ]
    assert all(parameter["allowEmptyValue"] for parameter in query_parameters)
    login = schema["components"]["schemas"]["TokenObtainPairRequest"]["properties"]["username"]
    assert login["pattern"] == "^[^\\u0000]*$"


def test_every_error_status_an_operation_can_return_is_documented(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    rating = schema["paths"]["/api/movies/{movie_id}/rating/"]["put"]["responses"]
    assert {"200", "201", "400", "401", "404", "406", "415", "429"} <= rating.keys()
    assert "application/problem+json" in rating["400"]["content"]
