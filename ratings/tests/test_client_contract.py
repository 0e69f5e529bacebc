"""What a client generated from each version's schema relies on (SPEC 3): the media types the
schema declares are the ones answered, public operations need no token, ids are integers,
every status is documented, and the docs speak to API users."""

import pytest
import yaml
from django.urls import reverse

from movies.tests.factories import MovieFactory

pytestmark = pytest.mark.django_db

V2 = "application/json; version=2"


def schema(api_client, version: str) -> dict:
    response = api_client.get(reverse("schema"), {"version": version})
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


@pytest.mark.parametrize(
    ("accept", "ok_type", "problem_type"),
    [
        (None, "application/json", "application/problem+json"),
        ("application/json; version=1", "application/json", "application/problem+json"),
        (V2, V2, "application/problem+json; version=2"),
        ("application/problem+json; version=2", V2, "application/problem+json; version=2"),
    ],
)
def test_each_response_has_the_media_type_its_version_declares(api_client, accept, ok_type, problem_type):
    movie = MovieFactory.create()
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    ok = api_client.get(reverse("movie-detail", args=[movie.pk]), **headers)
    missing = api_client.get(reverse("movie-detail", args=[movie.pk + 1]), **headers)
    unknown_path = api_client.get("/api/nope/", **headers)
    assert (ok.status_code, ok["Content-Type"]) == (200, ok_type)
    assert (missing.status_code, missing["Content-Type"]) == (404, problem_type)
    assert (unknown_path.status_code, unknown_path["Content-Type"]) == (404, problem_type)
    version = "2" if "version=2" in ok_type else "1"
    declared = schema(api_client, version)["paths"]["/api/movies/{id}/"]["get"]["responses"]
    assert list(declared["200"]["content"]) == [ok_type]
    assert list(declared["404"]["content"]) == [problem_type]


def test_a_problem_json_accept_selects_the_version_it_names(api_client):
    MovieFactory.create()
    response = api_client.get(reverse("movie-list"), HTTP_ACCEPT="application/problem+json; version=2")
    assert response["API-Version"] == "2"
    assert "rating" in response.json()["results"][0]


@pytest.mark.parametrize("version", ["1", "2"])
def test_public_operations_need_no_token_and_private_ones_need_one(api_client, version):
    public = {
        ("GET", "/api/movies/"),
        ("GET", "/api/movies/{id}/"),
        ("GET", "/api/movies/top/"),
        ("GET", "/api/genres/"),
        ("POST", "/api/users/"),
        ("POST", "/api/auth/token/"),
        ("GET", "/api/users/{username}/"),
    }
    for method, path, operation in operations(schema(api_client, version)):
        if (method, path) in public:
            assert operation["security"] in ([], [{}]), (method, path)
        if (method, path) in {("GET", "/api/users/me/"), ("POST", "/api/movies/")}:
            # A bearer JWT, or a personal access token (SPEC 12): each requirement names a scheme,
            # none is the empty `{}` that would make the token optional.
            assert {"jwtAuth": []} in operation["security"], (method, path)
            assert all(operation["security"]), (method, path)


@pytest.mark.parametrize("version", ["1", "2"])
def test_the_schema_is_complete_for_generated_clients(api_client, version):
    document = schema(api_client, version)
    assert document["info"]["version"] == version
    for method, path, operation in operations(document):
        assert operation.get("summary"), (method, path)
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path" and parameter["name"] in ("id", "movie_id"):
                assert parameter["schema"]["type"] == "integer", (method, path)
        if "requestBody" in operation:
            for status in ("413", "415"):
                assert operation["responses"][status]["content"], (method, path, status)


@pytest.mark.parametrize("version", ["1", "2"])
def test_the_docs_text_names_no_internals(api_client, version):
    text = api_client.get(reverse("schema"), {"version": version}).content.decode()
    for internal in ("ratings.services", "selectors.", "services.", "swagger_fake_view", "config."):
        assert internal not in text
