"""Cross-cutting HTTP middleware: request ids and the request log, response headers, request guards."""

import logging
import os
import re
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import patch_vary_headers

from config import tracing
from config.api.errors import PROBLEM_CONTENT_TYPE, problem_for_status, problem_response
from config.api.versioning import API_PATH_PREFIX, default_version, version_from_accept
from config.logging import log_info, request_id_var

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
        # request.META, not request.headers: the latter builds a dict of every header on first use.
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        # 128 random bits as 32 hex digits, the shape uuid4().hex had, at a tenth of its cost.
        request_id = incoming if incoming and _VALID_REQUEST_ID.match(incoming) else os.urandom(16).hex()
        request.id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        trace_token = tracing.trace_var.set(tracing.begin(request.META.get("HTTP_TRACEPARENT")))
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            duration_ms = (time.perf_counter() - started) * 1000
            if logger.isEnabledFor(logging.INFO):
                user = getattr(request, "user", None)
                method, path, status = request.method, request.path, response.status_code
                log_info(
                    logger,
                    f"{method} {path} {status} {duration_ms:.1f}ms",
                    {
                        "method": method,
                        "path": path,
                        "status": status,
                        "duration_ms": round(duration_ms, 2),
                        "user_id": user.pk if user is not None and user.is_authenticated else None,
                        "cache": response.get("X-Cache"),
                    },
                )
            return response
        finally:
            tracing.trace_var.reset(trace_token)
            request_id_var.reset(token)


_VERSIONED_TYPES = frozenset({"application/json", PROBLEM_CONTENT_TYPE})
# Responses that carry tokens or private data (SPEC section 2): the auth endpoints, everything
# under /users/me/ (account, own ratings, personal tokens) and one's own rating of a movie.
_PRIVATE_PATHS = re.compile(r"^/api/(auth/|users/me/|movies/[^/]+/rating/)")


class ResponseHeadersMiddleware:
    """The headers this service adds to every response, in one pass, from values read at start-up.

    - **API version** (every response under /api/): `API-Version` and `Vary: Accept`. DRF views
      record the negotiated version on the request; anything that never reached negotiation
      (Django's own 404, a 406 for an unknown version) reports the version the Accept header
      asked for when it is supported, else the default. A JSON body of a version other than the
      default also carries the version in its media type (`application/json; version=2`,
      `application/problem+json; version=2`), as that version's schema declares: a generated
      client sees exactly the types it was generated for.
    - **No store**: `Cache-Control: no-store` on every response that carries tokens or private
      data, errors included, so neither a browser nor a shared proxy keeps a copy.
    - **Content-Security-Policy**: settings.CONTENT_SECURITY_POLICY on every response that does
      not set its own.

    Placed near the top, so the early answers of the middleware below it (413, NUL 400, 405) carry
    these headers too. Django's SecurityMiddleware and XFrameOptionsMiddleware keep their own
    headers: `check --deploy` looks for their dotted paths in MIDDLEWARE, so they stay as they are.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.content_security_policy = settings.CONTENT_SECURITY_POLICY
        self.default_version = default_version()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        headers = response.headers
        # In the order the three middlewares this one replaces added them.
        if self.content_security_policy and "Content-Security-Policy" not in headers:
            headers["Content-Security-Policy"] = self.content_security_policy
        path = request.path
        if path.startswith(API_PATH_PREFIX):
            if _PRIVATE_PATHS.match(path):
                headers["Cache-Control"] = "no-store"
            version = getattr(request, "api_version", None) or version_from_accept(request.META.get("HTTP_ACCEPT", ""))
            headers["API-Version"] = version
            if "Vary" in headers:
                patch_vary_headers(response, ("Accept",))
            else:
                headers["Vary"] = "Accept"  # what patch_vary_headers writes when there is no Vary yet
            if version != self.default_version:
                content_type = headers.get("Content-Type", "")
                if content_type in _VERSIONED_TYPES:
                    headers["Content-Type"] = f"{content_type}; version={version}"
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


# The methods some view of this API answers; any other (TRACE, CONNECT, PROPFIND, ...) is a 405
# before authentication runs, not the 401 or 403 that DRF's permission checks would give first.
_API_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class UnknownMethodMiddleware:
    """Answers a method the API path does not take with a problem-details 405 and an `Allow` header.

    Before authentication and permissions: DRF checks those first, so a `PUT` on a read-only
    route (`/api/movies/top/`) would otherwise be a 403 that says nothing about the method. GET,
    HEAD and OPTIONS are left to DRF, so reads, the hot path, pay no second URL resolution.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PATH_PREFIX) and request.method not in _READ_METHODS:
            try:
                match = resolve(request.path_info)
            except Resolver404:
                return self.get_response(request)  # unknown path: the 404 says more than a 405
            allowed = _allowed_methods(match.func)
            if request.method not in allowed:
                response = problem_response(
                    405, f"Method {request.method} is not allowed here; see the Allow header.", "method_not_allowed"
                )
                response["Allow"] = ", ".join(allowed)
                return response
        return self.get_response(request)


def _allowed_methods(view: Callable[..., HttpResponse]) -> list[str]:
    actions = getattr(view, "actions", None)  # a DRF viewset route: its method-to-action map
    if actions is not None:
        methods = {method.upper() for method in actions} | {"OPTIONS"}
    else:
        view_class = getattr(view, "view_class", None) or getattr(view, "cls", None)
        names = getattr(view_class, "http_method_names", ["get"])
        methods = {name.upper() for name in names if view_class and hasattr(view_class, name)} | {"OPTIONS"}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods & _API_METHODS)


class ApiProblemsMiddleware:
    """Every error under /api/ is problem details, in development (`DEBUG=true`) too.

    - A write to an API path missing its trailing slash is a 404 saying which path to use: Django's
      APPEND_SLASH cannot redirect a POST (the body would be lost) and raises a RuntimeError
      under DEBUG instead.
    - Any other error response that is not problem details by then (Django's DEBUG pages for
      an unknown path or an exception) is replaced by the problem body of its status, so no
      debug page ever reaches an API client. The traceback is still logged by `django.request`.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PATH_PREFIX):
            return self.get_response(request)
        if request.method not in ("GET", "HEAD") and not request.path_info.endswith("/"):
            with_slash = f"{request.path_info}/"
            if not _resolves(request.path_info) and _resolves(with_slash):
                return problem_response(
                    404,
                    f"API paths end with a slash: send this {request.method} to {request.path}/ instead.",
                    "trailing_slash_missing",
                )
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE):
            return _problem_for(response)
        return response


def _resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def _problem_for(response: HttpResponse) -> HttpResponse:
    replacement = problem_for_status(response.status_code)
    for header in ("Allow", "WWW-Authenticate", "Retry-After"):
        if header in response:
            replacement[header] = response[header]
    return replacement


# --- Browser-page middleware that skips the API ------------------------------------------------
# Sessions, `request.user` from the session and flash messages serve the admin (and
# any other browser page); the API authenticates every request itself (DRF, bearer tokens, its
# views CSRF-exempt) and never reads a session, and the health probes need none of it. These
# subclasses (the admin's system checks accept subclasses) pass requests under these prefixes
# straight through, which saves their work on every API request.
SKIP_BROWSER_MIDDLEWARE_PREFIXES = ("/api/", "/health/")


class _BrowserPagesOnly:
    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(SKIP_BROWSER_MIDDLEWARE_PREFIXES):
            return self.get_response(request)  # type: ignore[attr-defined]
        return super().__call__(request)  # type: ignore[misc]


class SessionMiddleware(_BrowserPagesOnly, sessions.SessionMiddleware):
    """Django's SessionMiddleware, for browser pages only."""


class AuthenticationMiddleware(_BrowserPagesOnly, auth.AuthenticationMiddleware):
    """Django's AuthenticationMiddleware, for browser pages only."""


class MessageMiddleware(_BrowserPagesOnly, messages.MessageMiddleware):
    """Django's MessageMiddleware, for browser pages only."""
