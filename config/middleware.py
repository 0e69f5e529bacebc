"""Cross-cutting HTTP middleware: request ids, the request log, and API version headers."""

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from config import tracing
from config.api.errors import problem_response
from config.api.versioning import API_PATH_PREFIX, version_from_accept
from config.logging import request_id_var

logger = logging.getLogger("config.request")

# Accept a caller's id only if it is short and plain, so it cannot forge log lines.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIdMiddleware:
    """Accepts or generates `X-Request-ID`, echoes it, and writes one log line per request.

    It also continues an incoming W3C `traceparent` for the logs (config.tracing): its trace id
    is in every log line of the request, with or without the OpenTelemetry SDK.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        trace_token = tracing.trace_var.set(tracing.begin(request.headers.get("traceparent")))
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            duration_ms = (time.perf_counter() - started) * 1000
            user = getattr(request, "user", None)
            logger.info(
                "%s %s %s %.1fms",
                request.method,
                request.path,
                response.status_code,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round(duration_ms, 2),
                    "user_id": user.pk if user is not None and user.is_authenticated else None,
                    "cache": response.get("X-Cache"),
                },
            )
            return response
        finally:
            tracing.trace_var.reset(trace_token)
            request_id_var.reset(token)


class ApiVersionHeadersMiddleware:
    """Every response under /api/ says which API version it is in and varies on Accept.

    DRF views record the negotiated version on the request; anything that never reached
    negotiation (Django's own 404, a 406 for an unknown version) reports the version the
    Accept header asked for when it is supported, else the default.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(API_PATH_PREFIX):
            version = getattr(request, "api_version", None) or version_from_accept(request.headers.get("Accept", ""))
            response["API-Version"] = version
            patch_vary_headers(response, ["Accept"])
        return response


class BodySizeLimitMiddleware:
    """Refuses bodies over MAX_REQUEST_BODY_BYTES with a 413 before anything reads them.

    DRF's parsers read the request stream directly, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE
    alone would not stop a large JSON body. A path listed in REQUEST_BODY_LIMITS_BY_PATH (the
    ratings import's file upload) has its own limit instead; every other path keeps the general one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.REQUEST_BODY_LIMITS_BY_PATH.get(request.path, settings.MAX_REQUEST_BODY_BYTES)
        if length > limit:
            return problem_response(
                413, f"The request body is larger than {limit} bytes, the limit of this endpoint.", "payload_too_large"
            )
        return self.get_response(request)


# Responses that carry tokens or private data (SPEC section 2): the auth endpoints, everything
# under /users/me/ (account, own ratings, personal tokens) and one's own rating of a movie.
_PRIVATE_PATHS = re.compile(r"^/api/(auth/|users/me/|movies/[^/]+/rating/)")


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every response that carries tokens or private data, errors
    included, so neither a browser nor a shared proxy keeps a copy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if _PRIVATE_PATHS.match(request.path):
            response["Cache-Control"] = "no-store"
        return response


class RejectNulMiddleware:
    """A NUL character in the path, or in the query outside the API, is a 400 before any view runs.

    No database text column can hold one (PostgreSQL refuses it with an error), so it can only
    be an attack or a mistake; refusing it here covers every view, the admin's included. API
    views check their own query parameters and name the offending one (`config.api.params`).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = "" if request.path.startswith(API_PATH_PREFIX) else request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            return problem_response(400, "The request contains a NUL character, which no field accepts.", "nul")
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Sends settings.CONTENT_SECURITY_POLICY on every response that does not set its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response
