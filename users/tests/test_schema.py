import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schemas(django_db_blocker) -> dict[str, dict]:
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        client = APIClient()
        return {
            version: client.get("/api/schema/", {"version": version}, HTTP_ACCEPT="application/json").json()
            for version in ("1", "2")
        }


def operation(schema: dict, path: str, method: str) -> dict:
    return schema["paths"][path][method]


def body_ref(part: dict, media_type: str = "application/json") -> str:
    """The component a request or response body refers to; version 2 adds `; version=2`."""
    [(content_type, content)] = part["content"].items()
    assert content_type.split(";")[0] == media_type
    return content["schema"]["$ref"].rsplit("/", 1)[-1]


def test_the_schema_has_the_bearer_scheme_of_simplejwt(schemas):
    for schema in schemas.values():
        assert schema["components"]["securitySchemes"]["jwtAuth"] == {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
        }


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_the_me_operations_require_the_bearer_token(schemas, method):
    for schema in schemas.values():
        assert operation(schema, "/api/users/me/", method)["security"] == [{"jwtAuth": []}]


@pytest.mark.parametrize(
    ("path", "method", "request_body", "success", "response_body", "errors"),
    [
        ("/api/users/", "post", "RegistrationRequest", "201", "Account", {"400", "401", "415", "429"}),
        ("/api/users/me/", "get", None, "200", "Account", {"401"}),
        ("/api/users/me/", "patch", "PatchedAccountRequest", "200", "Account", {"400", "401"}),
        ("/api/users/me/", "delete", None, "204", None, {"401"}),
        ("/api/users/{username}/", "get", None, "200", "PublicProfile", {"404"}),
        ("/api/auth/token/", "post", "TokenObtainPairRequest", "200", "TokenObtainPair", {"400", "401", "429"}),
        ("/api/auth/token/refresh/", "post", "TokenRefreshRequest", "200", "TokenRefresh", {"400", "401"}),
        ("/api/auth/logout/", "post", "LogoutRequest", "204", None, {"400", "401"}),
    ],
)
def test_each_endpoint_documents_its_bodies_and_errors(
    schemas, path, method, request_body, success, response_body, errors
):
    for schema in schemas.values():
        op = operation(schema, path, method)
        if request_body:
            assert body_ref(op["requestBody"]) == request_body
        else:
            assert "requestBody" not in op
        responses = op["responses"]
        if response_body:
            assert body_ref(responses[success]) == response_body
        else:
            assert "content" not in responses[success]
        assert errors <= set(responses)
        for status in errors:
            assert body_ref(responses[status], "application/problem+json") == "Problem"


def test_the_account_and_profile_shapes_are_documented(schemas):
    components = schemas["1"]["components"]["schemas"]
    assert set(components["Account"]["properties"]) == {"id", "username", "email", "date_joined", "ratings_count"}
    assert set(components["RegistrationRequest"]["required"]) == {"username", "email", "password"}
    profile = components["PublicProfile"]["properties"]
    assert set(profile) == {"username", "date_joined", "ratings_count", "average_score"}
    assert profile["average_score"]["type"] == "number"
    assert profile["average_score"]["nullable"] is True
    assert set(components["TokenRefresh"]["properties"]) == {"access", "refresh"}


def test_paths_without_a_missing_resource_document_no_404(schemas):
    for path, method in [("/api/users/", "post"), ("/api/users/me/", "get"), ("/api/auth/token/", "post")]:
        assert "404" not in operation(schemas["1"], path, method)["responses"]


def test_profiles_document_no_throttling(schemas):
    assert "429" not in operation(schemas["1"], "/api/users/{username}/", "get")["responses"]


def test_refreshes_and_account_changes_document_their_throttles(schemas):
    for path, method in [("/api/auth/token/refresh/", "post"), ("/api/users/me/", "patch")]:
        assert "429" in operation(schemas["1"], path, method)["responses"]
