"""Every error under /api/ as RFC 9457 problem details (SPEC section 5).

Body: `{type, title, status, detail, code, request_id}` plus `errors: [{field, code, message}]`
for validation errors, served as `application/problem+json`. DRF exceptions go through
`exception_handler` (so do Django's ValidationError, which services raise, Http404 and
PermissionDenied); Django's own 400/403/404/500 under /api/ go through the `handler*` views,
and under DEBUG `config.middleware.ApiProblemsMiddleware` turns Django's pages into the same
bodies (`problem_for_status`): one table, `_DJANGO_ERRORS`, for both.
"""

import json
import logging
from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import set_rollback

from config.api.negotiation import PROBLEM_CONTENT_TYPE
from config.api.renderers import JSONRenderer
from config.api.versioning import API_PATH_PREFIX, UnsupportedVersion, supported_versions
from config.logging import request_id_var

logger = logging.getLogger(__name__)


def problem(status: int, detail: str, code: str, **extra: Any) -> dict[str, Any]:
    """The problem-details body for an error."""
    return {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": request_id_var.get(),
        **extra,
    }


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class DatabaseUnavailable(exceptions.APIException):
    status_code = 503
    default_detail = "The database is unavailable right now. Retry in a few seconds."
    default_code = "database_unavailable"
    wait = 5


def _field_errors(detail: Any, field: str | None = None) -> Iterator[dict[str, Any]]:
    """Flatten DRF's nested error detail into `{field, code, message}` items.

    Nested fields are joined with dots (`genres.1`); errors not tied to a field have `field: null`.
    """
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = None if key in ("non_field_errors", "__all__") else str(key)
            yield from _field_errors(value, f"{field}.{name}" if field and name else (name or field))
    elif isinstance(detail, list):
        for item in detail:
            yield from _field_errors(item, field)
    else:
        yield {"field": field, "code": getattr(detail, "code", "invalid"), "message": str(detail)}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler, rendering problem details; unknown exceptions become 500s."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, DjangoValidationError):
        # What services raise (they know nothing of DRF): a 400 naming the fields, as DRF's own.
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    elif isinstance(exc, DataError):
        # A value the database cannot store or compare (out of range, malformed): the client's
        # input, so a 400, never a 500. Validation should have caught it first; log it to fix that.
        logger.warning("database refused a value: %s", exc)
        exc = exceptions.ValidationError({"non_field_errors": ["A value in the request is out of range or malformed."]})
    elif isinstance(exc, OperationalError | InterfaceError):
        # The database is down or unreachable (or a deadlock victim): a retryable 503, not a 500.
        logger.warning("database unavailable: %s", exc)
        exc = DatabaseUnavailable()
    if not isinstance(exc, exceptions.APIException):
        return None

    headers: dict[str, str] = {}
    if auth_header := getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = auth_header
    if wait := getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(wait) + (0 if float(wait).is_integer() else 1))

    extra: dict[str, Any] = {}
    if isinstance(exc, exceptions.ValidationError):
        errors = list(_field_errors(exc.detail))
        named = ", ".join(sorted({e["field"] for e in errors if e["field"]}))
        summary = f"Invalid input in: {named}." if named else (errors[0]["message"] if errors else "Invalid input.")
        body = problem(exc.status_code, summary, "invalid", errors=errors)
    else:
        detail: Any = exc.detail
        code = getattr(detail, "code", None) or exc.default_code
        if isinstance(detail, dict):
            # simplejwt's exceptions carry {"detail", "code", "messages"} instead of a string.
            code = detail.get("code", code)
            detail = detail.get("detail", exc.default_detail)
        if isinstance(exc, UnsupportedVersion):
            extra["supported_versions"] = supported_versions()
        body = problem(exc.status_code, str(detail), str(code), **extra)

    set_rollback()
    # Errors are JSON whatever the view renders otherwise (the schema's YAML, the docs' HTML).
    request = context.get("request")
    if request is not None:
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = PROBLEM_CONTENT_TYPE
    return Response(body, status=exc.status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def problem_response(status: int, detail: str, code: str) -> HttpResponse:
    """A problem-details response outside DRF (middleware, Django's error handlers)."""
    return HttpResponse(json.dumps(problem(status, detail, code)), status=status, content_type=PROBLEM_CONTENT_TYPE)


def _django_error_view(status: int, detail: str, code: str, html_view: Callable[..., HttpResponse]) -> Any:
    """A `handler<status>` view: problem details under /api/, Django's own page elsewhere."""

    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.path.startswith(API_PATH_PREFIX):
            return problem_response(status, detail, code)
        return html_view(request, *args, **kwargs)

    view.__name__ = view.__qualname__ = html_view.__name__
    return view


# Django's own errors (config/urls.py's handler400 ... handler500), one row each.
_DJANGO_ERRORS: list[tuple[int, str, str, Callable[..., HttpResponse]]] = [
    (400, "The request could not be understood.", "bad_request", defaults.bad_request),
    (403, "You do not have permission to do this.", "permission_denied", defaults.permission_denied),
    (404, "No such resource. See /api/docs/ for the paths.", "not_found", defaults.page_not_found),
    (
        500,
        "Something went wrong on our side. Quote the request_id when reporting it.",
        "server_error",
        defaults.server_error,
    ),
]
bad_request, permission_denied, page_not_found, server_error = (_django_error_view(*row) for row in _DJANGO_ERRORS)


def problem_for_status(status: int) -> HttpResponse:
    """The problem-details response for an error status that Django answered with a page of its
    own (its DEBUG pages): the table's row for that status (any 5xx as 500), else the phrase."""
    for row_status, detail, code, _html_view in _DJANGO_ERRORS:
        if row_status == (500 if status >= 500 else status):
            return problem_response(status, detail, code)
    phrase = HTTPStatus(status).phrase
    return problem_response(status, phrase, phrase.lower().replace(" ", "_"))
