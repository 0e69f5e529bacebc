"""OpenAPI generation: an AutoSchema that documents the error responses of every operation.

Every operation documents the problem-details errors it can really return, derived from the
view itself (authentication, permissions, throttles, path parameters, request bodies, query
parameters), so the schema and the behaviour cannot drift apart view by view.
"""

import re
from http import HTTPStatus
from typing import Any

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers

from config.api.errors import PROBLEM_CONTENT_TYPE
from config.api.versioning import default_version


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="The body field or query parameter at fault.")
    code = serializers.CharField()
    message = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, the body of every error response."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField()
    request_id = serializers.CharField()
    errors = FieldErrorSerializer(many=True, required=False, help_text="Validation errors only.")  # type: ignore[assignment]
    supported_versions = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="406 for an unsupported version only."
    )

    class Meta:
        ref_name = "Problem"


_ERROR_DESCRIPTIONS = {
    400: "Invalid input: `errors` names each field or query parameter at fault.",
    401: "Missing, invalid or expired credentials.",
    403: "Authenticated, but not allowed to do this.",
    404: "No such resource (or a page past the last).",
    406: "The API version asked for in the Accept header is not supported.",
    413: "The request body (or the uploaded file) is larger than this endpoint accepts.",
    415: "The request body is not of a media type this operation takes (see its request body).",
    429: "Too many requests; retry after the number of seconds in Retry-After.",
}
_BODY_METHODS = {"POST", "PUT", "PATCH"}
_OPEN_PERMISSIONS = (permissions.AllowAny, permissions.IsAuthenticated)


# A URL pattern that matches only digits: `\d+`, `[0-9]+`, `[0-9]{1,18}`.
_DIGITS = r"(?:\\d|\[0-9\])(?:\+|\{\d+(?:,\d*)?\})"


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema plus the error responses each operation can return."""

    def error_statuses(self) -> set[int]:
        statuses = {401, 406}  # any bearer token is checked on every endpoint; any version is negotiated
        if self.method in _BODY_METHODS:
            statuses |= {400, 413, 415}
        if self._get_filter_parameters() or self._get_pagination_parameters():
            statuses.add(400)
        if "{" in self.path or self._get_paginator():
            statuses.add(404)
        if any(not isinstance(p, _OPEN_PERMISSIONS) for p in self.view.get_permissions()):
            statuses.add(403)
        if self.method not in permissions.SAFE_METHODS:
            statuses.add(403)  # a personal access token without the `write` scope (users.authentication)
        if self.view.get_throttles():
            statuses.add(429)
        return statuses | set(getattr(self.view, "extra_error_statuses", ()))

    def is_public(self) -> bool:
        """Open to anyone: a token is optional (and checked when sent)."""
        return all(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions())

    def get_auth(self) -> list[dict[str, Any]]:
        # drf-spectacular documents an optional token as `[{jwtAuth: []}, {}]`, which generated
        # clients read as "needs an authenticated client". Public operations need nothing.
        auth: list[dict[str, Any]] = super().get_auth()
        return [] if self.is_public() else [requirement for requirement in auth if requirement]

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation is not None and "security" not in operation:
            operation["security"] = []  # explicit: no authentication, whatever the schema's default
        return operation

    def get_summary(self) -> str | None:
        """The first sentence of the operation's description, when no summary is set."""
        description = self.get_description()
        if not description:
            return None
        first = re.split(r"(?<=[.;:])\s|\n\n", description.strip(), maxsplit=1)[0]
        first = re.sub(r"\s*\([^)]*\)", "", first).rstrip(".;: ")
        return " ".join(first.split())

    def _resolve_path_parameters(self, variables: list[str]) -> list[dict[str, Any]]:
        """Path parameters that the URL only matches as digits (`\\d+`, `[0-9]{1,18}`) are integers."""
        parameters: list[dict[str, Any]] = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            # drf-spectacular documents the `pk` of the URL as `id`.
            names = {parameter["name"], "pk"} if parameter["name"] == "id" else {parameter["name"]}
            if any(re.search(rf"\(\?P<{re.escape(name)}>{_DIGITS}\)", self.path_regex) for name in names):
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters

    def _get_filter_parameters(self) -> list[dict[str, Any]]:
        """Filter parameters with the bounds their form fields enforce (`min_value`, `max_value`),
        so that clients and fuzzers know which values are valid."""
        parameters: list[dict[str, Any]] = super()._get_filter_parameters()
        filterset_class = getattr(self.view, "filterset_class", None)
        filters = filterset_class.base_filters if filterset_class else {}
        for parameter in parameters:
            filter_field = filters.get(parameter["name"])
            extra = getattr(filter_field, "extra", {})
            schema = parameter["schema"]
            if "min_value" in extra:
                schema["minimum"] = extra["min_value"]
            if "max_value" in extra:
                schema["maximum"] = extra["max_value"]
            schema.update(getattr(filter_field, "schema_extra", {}))
        return parameters

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        # The server (granian, bin/serve) answers 414 itself (its own body, not problem details)
        # for a URL past about 64 KiB, before the application sees the request.
        responses.setdefault("414", {"description": "The URL is too long (answered by the server)."})
        for status in sorted(self.error_statuses()):
            if str(status) not in responses:
                response = OpenApiResponse(
                    ProblemSerializer, description=_ERROR_DESCRIPTIONS.get(status, HTTPStatus(status).phrase)
                )
                responses[str(status)] = self._get_response_for_code(
                    response, str(status), media_types=(PROBLEM_CONTENT_TYPE,), direction=direction
                )
        return responses


NO_NUL_PATTERN = "^[^\\u0000]*$"


def _forbid_nul(schema: dict[str, Any]) -> None:
    if schema.get("type") == "string" and not {"enum", "pattern", "format"} & schema.keys():
        schema["pattern"] = NO_NUL_PATTERN
    for child in schema.get("properties", {}).values():
        _forbid_nul(child)
    if isinstance(schema.get("items"), dict):
        _forbid_nul(schema["items"])


def forbid_nul_in_request_strings(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: say in the schema that request strings may not contain NUL characters,
    which Django refuses in every text field and query parameter (a 400 naming the field)."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            _forbid_nul(component)
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    _forbid_nul(parameter.get("schema", {}))
    return result


def allow_blank_query_parameters(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: every optional query parameter of this API treats a blank value
    (`?genre=`) as absent; say so with `allowEmptyValue`."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
    return result


def set_info_version(result: dict[str, Any], generator: Any = None, **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: `info.version` is the API version the schema documents ("1", "2"),
    rather than drf-spectacular's "<VERSION> (<api version>)"."""
    result["info"]["version"] = str(getattr(generator, "api_version", None) or default_version())
    return result
