"""Cache hits of public reads served ahead of DRF's dispatch, in one Redis round trip.

A GET or HEAD of a view `config.cache.cache_response` decorated (movie detail and list, top,
genres, a movie's ratings, a public profile and rated list, similar movies) is answered here,
by the last middleware, when the cache holds it: the middleware above it all still run theirs
(request id and log line, metrics, the API's headers, security headers, ETag/304, X-Frame-Options).
It runs DRF's own checks of the view, in DRF's order, and answers only when each of them passes
as it would inside the view:

- the route: resolved once by Django's resolver; its handler must be one `cache_response`
  registered (`config.cache.cached_handler_tags`), on a viewset that overrides none of DRF's
  dispatch steps and authenticates with `BearerAuthentication` alone;
- content negotiation and the API version: the view's own `perform_content_negotiation` and
  `determine_version` (config.api.negotiation, config.api.versioning), their outcome remembered
  per route and Accept header (bounded); a 406 is left to DRF;
- authentication: no `Authorization` header, or one naming another scheme, is anonymous as in
  DRF; a JWT is validated by `BearerAuthentication` (its memo of verified signatures, exp checked
  every time) and its user comes from the cached auth state, checked like `get_user` does
  (active, session epoch); a personal access token, a malformed header or a failing token are
  left to DRF, which answers its 401;
- the view's permissions (`get_permissions`, each `has_permission`) and throttles (a view with
  any is left to DRF);
- the response: the stored entry and the auth state are read by one EVALSHA
  (`config.cache.lookup_hit`); the response is `cache_response`'s hit with the headers DRF's
  `finalize_response` adds (`Allow`), and `request.resolver_match`, `request.user` and
  `request.api_version` are set as DRF's path sets them, for the metrics and the log line.

Anything else falls through to DRF, which does everything again: a miss (with the JWT's user
already checked, handed to `BearerAuthentication` so it is not read twice, and what the lookup
read handed to the view's own lookup, so a miss costs no second round trip), a missing auth state,
a cache error (the view's lookup then skips the cache: one timeout, not two), a query format
override, a forced test authentication, a URLconf of the request's own.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, ResolverMatch, resolve
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.viewsets import GenericViewSet, ViewSetMixin
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from config import cache, metrics
from config.api.versioning import API_PATH_PREFIX
from users import authstate
from users.authentication import AUTHENTICATED_ATTRIBUTE, BearerAuthentication
from users.models import PERSONAL_ACCESS_TOKEN_PREFIX

_METHODS = frozenset({"GET", "HEAD"})
_PERSONAL_TOKEN_PREFIX = PERSONAL_ACCESS_TOKEN_PREFIX.encode()

# DRF's steps before a handler runs and after it returned. A view class overriding any of them
# may do something this module does not: its requests go through DRF.
_DISPATCH_STEPS = (
    "dispatch",
    "initialize_request",
    "initial",
    "get_format_suffix",
    "perform_content_negotiation",
    "get_content_negotiator",
    "get_renderers",
    "determine_version",
    "perform_authentication",
    "get_authenticators",
    "check_permissions",
    "check_throttles",
    "finalize_response",
    "default_response_headers",
    "allowed_methods",
)

# Distinct Accept headers remembered per process before the memo starts over (a client sending
# a new one with every request cannot grow memory), and the longest one remembered: the server
# takes headers of hundreds of kilobytes, and 256 of those would be a lot of memory to keep.
NEGOTIATED_SIZE = 256
NEGOTIATED_ACCEPT_LENGTH = 256


@dataclass(eq=False)
class Route:
    """A cached read's view as the DRF path would run it for one method."""

    view_class: type[GenericViewSet]
    initkwargs: dict[str, Any]
    actions: dict[str, str]
    action: str
    tags: cache.TagsFunction
    headers: dict[str, str]  # what `finalize_response` adds: Allow (and Vary with several renderers)

    def view(self, request: Request, match: Any) -> Any:
        """The view instance as DRF's view function and `initialize_request` leave it."""
        view = self.view_class(**self.initkwargs)
        view.action_map = self.actions
        view.action = self.action
        view.request = request
        view.args = match.args
        view.kwargs = dict(match.kwargs)  # the match is shared by requests (CachedHitMiddleware.resolve)
        view.format_kwarg = None
        view.headers = dict(self.headers)
        return view


def route_for(callback: Callable[..., Any], method: str) -> Route | None:
    """The cached read `callback` (a resolved URL's view) serves for `method`, if any."""
    actions = getattr(callback, "actions", None)
    view_class = getattr(callback, "cls", None)
    if actions is None or not isinstance(view_class, type) or not issubclass(view_class, ViewSetMixin):
        return None
    action = actions.get(method) or (actions.get("get") if method == "head" else None)
    if action is None:
        return None
    tags = cache.cached_handler_tags(getattr(view_class, action, None))
    if tags is None:
        return None
    if any(getattr(view_class, step) is not getattr(GenericViewSet, step) for step in _DISPATCH_STEPS):
        return None
    initkwargs = dict(getattr(callback, "initkwargs", {}))
    view: Any = view_class(**initkwargs)
    if list(view.authentication_classes) != [BearerAuthentication]:
        return None
    # Bound as DRF's view function binds them, so `allowed_methods` (the Allow header) is its own.
    bound = dict(actions)
    if "get" in bound and "head" not in bound:
        bound["head"] = bound["get"]
    for bound_method, bound_action in bound.items():
        setattr(view, bound_method, getattr(view, bound_action))
    return Route(view_class, initkwargs, actions, action, tags, dict(view.default_response_headers))  # type: ignore[arg-type]


# Paths whose resolution is remembered (404s are not) before the memo starts over, and the
# longest one remembered: at most about 2 MB per process, whatever paths clients send.
RESOLVED_SIZE = 2048
RESOLVED_PATH_LENGTH = 256

_REFUSED = object()


class CachedHitMiddleware:
    """Answers cache hits of public reads ahead of DRF's dispatch (the module docstring).

    Last in settings.MIDDLEWARE: everything above it runs for these responses as for any other.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.authenticator = BearerAuthentication()
        self.routes: dict[tuple[Callable[..., Any], str], Route | None] = {}
        self.negotiated: dict[tuple[Route, str | None], Any] = {}
        self.resolved: dict[str, ResolverMatch] = {}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in _METHODS and request.path_info.startswith(API_PATH_PREFIX):
            response = self.hit(request)
            if response is not None:
                return response
        return self.get_response(request)

    def resolve(self, path: str) -> ResolverMatch | None:
        """Django's resolution of `path` (None for a 404), remembered for the most recent paths: the
        URLconf does not change while the process runs, and a match is never modified."""
        match = self.resolved.get(path)
        if match is None:
            try:
                match = resolve(path)
            except Resolver404:
                return None
            if len(path) <= RESOLVED_PATH_LENGTH:
                if len(self.resolved) >= RESOLVED_SIZE:
                    self.resolved.clear()
                self.resolved[path] = match
        return match

    def route(self, callback: Callable[..., Any], method: str) -> Route | None:
        key = (callback, method)
        if key not in self.routes:  # one entry per URL pattern and method: bounded by the URLconf
            self.routes[key] = route_for(callback, method)
        return self.routes[key]

    def negotiate(self, route: Route, view: Any, request: Request) -> Any:
        """(version, versioning scheme) as the view negotiates them for this Accept header, or
        _REFUSED when DRF would answer 406."""
        accept = request.META.get("HTTP_ACCEPT")
        key = (route, accept)
        negotiated = self.negotiated.get(key)
        if negotiated is None:
            try:
                request.accepted_renderer, request.accepted_media_type = view.perform_content_negotiation(request)
                negotiated = view.determine_version(request)
            except exceptions.APIException:
                negotiated = _REFUSED
            if accept is None or len(accept) <= NEGOTIATED_ACCEPT_LENGTH:
                if len(self.negotiated) >= NEGOTIATED_SIZE:
                    self.negotiated.clear()
                self.negotiated[key] = negotiated
        return negotiated

    def hit(self, request: HttpRequest) -> HttpResponse | None:
        """The cached response DRF's path would answer, or None to let DRF answer."""
        if hasattr(request, "urlconf"):
            return None
        # DRF's test client forcing a user: DRF's Request then authenticates with it.
        if getattr(request, "_force_auth_user", None) is not None or getattr(request, "_force_auth_token", None):
            return None
        match = self.resolve(request.path_info)
        if match is None:
            return None
        route = self.route(match.func, request.method.lower())  # type: ignore[union-attr]
        if route is None or "format" in match.kwargs or "format" in request.GET:
            return None
        drf_request = Request(request)
        view = route.view(drf_request, match)
        negotiated = self.negotiate(route, view, drf_request)
        if negotiated is _REFUSED:
            return None
        version, scheme = negotiated
        drf_request.version, drf_request.versioning_scheme = version, scheme
        if view.get_throttles():
            return None

        # Authentication, as BearerAuthentication does it (JWTs; personal tokens are left to DRF).
        raw = token = None
        header = self.authenticator.get_header(drf_request)
        if header is not None:
            try:
                raw = self.authenticator.get_raw_token(header)
                if raw is not None:
                    if raw.startswith(_PERSONAL_TOKEN_PREFIX):
                        return None
                    token = self.authenticator.get_validated_token(raw)
            except exceptions.APIException:
                return None
        user_id = None
        if token is not None:
            if not settings.AUTH_STATE_CACHE:  # every JWT's user from the database: DRF's path
                return None
            try:
                user_id = int(token[jwt_settings.USER_ID_CLAIM])
            except (KeyError, TypeError, ValueError):
                return None

        try:
            tags = [cache.ALL, *route.tags(drf_request, dict(match.kwargs))]
        except (KeyError, TypeError, ValueError):
            return None
        base = cache.request_base(request.path, request.GET, str(version), tags)
        try:
            if user_id is None:
                entry, state, seen = cache.lookup_hit(tags, base)
            else:
                user_tags, name = authstate.user_tags(user_id), authstate.user_value_name(user_id)
                entry, state, seen = cache.lookup_hit(tags, base, user_tags, name)
        except cache.CacheUnavailable:
            setattr(request, cache.CACHE_FAILED_ATTRIBUTE, True)
            return None
        if seen is not None:  # if DRF answers after all, its lookup starts from this one
            setattr(request, cache.LOOKED_UP_ATTRIBUTE, seen)

        if user_id is None:
            drf_request._not_authenticated()  # type: ignore[attr-defined]  # DRF's own "no credentials"
        else:
            user = authstate.cached_user(state, user_id) if state is not None else None
            if user is None or token is None:
                return None
            try:
                BearerAuthentication.check_user(user, token)
            except exceptions.APIException:
                return None
            if entry is None:
                setattr(request, AUTHENTICATED_ATTRIBUTE, (raw, user, token))
                return None
            drf_request.user, drf_request.auth = user, token
        if entry is None:
            return None
        for permission in view.get_permissions():
            if not permission.has_permission(drf_request, view):
                return None

        metrics.CACHE_LOOKUPS.labels("hit").inc()
        request.resolver_match = match
        request.api_version = version  # type: ignore[attr-defined]  # as config.api.versioning sets it
        response: HttpResponse = view.finalize_response(drf_request, cache.hit_response(entry))
        return response
