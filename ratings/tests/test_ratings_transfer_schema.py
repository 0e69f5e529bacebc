"""Both versions' schemas document the ratings export and import (SPEC sections 3 and 13)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def operation(api_client, version: str, path: str, method: str) -> dict:
    response = api_client.get(reverse("schema"), {"version": version}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()["paths"][path][method]


@pytest.mark.parametrize(("version", "suffix"), [("1", ""), ("2", "; version=2")])
def test_the_export_is_documented_as_csv_or_json_with_its_format_parameter(api_client, version, suffix):
    export = operation(api_client, version, "/api/users/me/ratings/export/", "get")
    assert set(export["responses"]["200"]["content"]) == {f"text/csv{suffix}", f"application/json{suffix}"}
    items = export["responses"]["200"]["content"][f"application/json{suffix}"]["schema"]["items"]
    assert items == {"$ref": "#/components/schemas/ExportedRating"}
    (parameter,) = export["parameters"]
    assert (parameter["name"], parameter["schema"]["enum"]) == ("format", ["csv", "json"])
    assert {"400", "401"} <= export["responses"].keys()


@pytest.mark.parametrize(("version", "suffix"), [("1", ""), ("2", "; version=2")])
def test_the_import_is_documented_as_a_multipart_upload_with_its_413(api_client, version, suffix):
    upload = operation(api_client, version, "/api/users/me/ratings/import/", "post")
    assert list(upload["requestBody"]["content"]) == ["multipart/form-data"]
    assert upload["responses"]["200"]["content"][f"application/json{suffix}"]["schema"] == {
        "$ref": "#/components/schemas/RatingsImportReport"
    }
    assert {"400", "401", "413", "415", "429"} <= upload["responses"].keys()
    assert [parameter["name"] for parameter in upload["parameters"]] == ["dry_run"]
