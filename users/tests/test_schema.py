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


@pytest.mark.parametrize("method", ["get", "patch"])
def test_the_me_operations_take_a_jwt_or_a_personal_access_token(schemas, method):
    for schema in schemas.values():
        assert operation(schema, "/api/users/me/", method)["security"] == [{"jwtAuth": []}, {"personalTokenAuth": []}]


def test_deleting_the_account_takes_a_jwt_only(schemas):
    for schema in schemas.values():
        assert operation(schema, "/api/users/me/", "delete")["security"] == [{"jwtAuth": []}]


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
        ("/api/users/me/password/", "post", "PasswordChangeRequest", "200", "Session", {"400", "401", "403", "429"}),
        (
            "/api/auth/password-reset/",
            "post",
            "PasswordResetRequestRequest",
            "202",
            "PasswordResetAccepted",
            {"400", "429"},
        ),
        ("/api/auth/password-reset/confirm/", "post", "PasswordResetConfirmRequest", "204", None, {"400", "429"}),
        ("/api/users/me/tokens/", "get", None, "200", "PaginatedPersonalAccessTokenList", {"401", "403"}),
        (
            "/api/users/me/tokens/",
            "post",
            "PersonalAccessTokenCreateRequest",
            "201",
            "PersonalAccessTokenCreated",
            {"400", "401", "403", "429"},
        ),
        ("/api/users/me/tokens/{id}/", "delete", None, "204", None, {"401", "403", "404", "429"}),
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
    for path, method in [
        ("/api/auth/token/refresh/", "post"),
        ("/api/users/me/", "patch"),
        ("/api/users/me/password/", "post"),
        ("/api/auth/password-reset/", "post"),
        ("/api/auth/password-reset/confirm/", "post"),
    ]:
        assert "429" in operation(schemas["1"], path, method)["responses"]


def test_the_schema_has_a_second_bearer_scheme_for_personal_access_tokens(schemas):
    for schema in schemas.values():
        scheme = schema["components"]["securitySchemes"]["personalTokenAuth"]
        assert scheme["type"] == "http"
        assert scheme["scheme"] == "bearer"
        assert scheme["bearerFormat"].startswith("mr_pat_")


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/users/me/tokens/", "get"),
        ("/api/users/me/tokens/", "post"),
        ("/api/users/me/tokens/{id}/", "delete"),
        ("/api/users/me/password/", "post"),
    ],
)
def test_what_a_personal_token_may_never_do_is_documented_as_jwt_only(schemas, path, method):
    for schema in schemas.values():
        assert operation(schema, path, method)["security"] == [{"jwtAuth": []}]


def test_reads_and_rating_writes_take_either_bearer_format(schemas):
    for schema in schemas.values():
        for path, method in [("/api/users/me/ratings/", "get"), ("/api/movies/{movie_id}/rating/", "put")]:
            security = operation(schema, path, method)["security"]
            assert {"jwtAuth": []} in security
            assert {"personalTokenAuth": []} in security


def test_the_created_token_documents_its_secret_and_the_listed_one_does_not(schemas):
    components = schemas["1"]["components"]["schemas"]
    assert "token" in components["PersonalAccessTokenCreated"]["properties"]
    assert "token" not in components["PersonalAccessToken"]["properties"]
    create = components["PersonalAccessTokenCreateRequest"]
    assert create["properties"]["expires_in_days"]["minimum"] == 1
    assert create["properties"]["expires_in_days"]["maximum"] == 365
    scopes = create["properties"]["scopes"]
    assert scopes["minItems"] == 1
    enum = components[scopes["items"]["$ref"].rsplit("/", 1)[-1]]
    assert enum["enum"] == ["read", "write"]
