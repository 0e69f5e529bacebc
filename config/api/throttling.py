"""Throttles for logins, registrations (per client IP) and rating writes (per user).

Counters live in the cache; when it is unreachable the throttles let requests through
(fail open) and log a warning, so a Redis outage never locks users out.
"""

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from config.cache import CACHE_ERRORS, warn_cache_unavailable


class FailOpenRateThrottle(SimpleRateThrottle):
    """A rate throttle that reads its rate at request time and allows requests if the cache fails."""

    def get_rate(self) -> str | None:
        rates: dict[str, Any] = api_settings.DEFAULT_THROTTLE_RATES
        return rates.get(self.scope or "")

    def allow_request(self, request: Request, view: Any) -> bool:
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as exc:
            warn_cache_unavailable(exc)
            return True


class ClientIpRateThrottle(FailOpenRateThrottle):
    """Counts per client IP, whoever is logged in."""

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginRateThrottle(ClientIpRateThrottle):
    scope = "login"


class RegisterRateThrottle(ClientIpRateThrottle):
    scope = "register"


class WriteRateThrottle(FailOpenRateThrottle):
    """Counts per authenticated user (falls back to the IP for anonymous callers)."""

    scope = "writes"

    def get_cache_key(self, request: Request, view: Any) -> str:
        ident = request.user.pk if request.user and request.user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
