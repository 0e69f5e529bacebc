"""Throttles for logins, registrations (per client IP), rating writes (per user) and account
changes (password change and reset: per user or target account, and per client IP).

Counters live in the cache; when it is unreachable the throttles let requests through
(fail open) and log a warning, so a Redis outage never locks users out.
"""

import hashlib
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


class AccountRateThrottle(FailOpenRateThrottle):
    """Account changes per authenticated user (`THROTTLE_ACCOUNT`)."""

    scope = "account"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": f"user:{request.user.pk}"}


class AccountIpRateThrottle(ClientIpRateThrottle):
    """Account changes per client IP (`THROTTLE_ACCOUNT`), signed in or not."""

    scope = "account"


class AccountTargetRateThrottle(FailOpenRateThrottle):
    """Account changes per target named in the body (`THROTTLE_ACCOUNT`), such as the email a
    reset is asked for. Counted whether or not such an account exists, so the limit reveals
    nothing; the value is hashed, so the key stays short."""

    scope = "account"
    field = ""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        data = request.data
        value = data.get(self.field) if isinstance(data, dict) else None
        if not isinstance(value, str) or not value:
            return None  # the body is invalid and gets its 400; nothing to count against
        digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": f"{self.field}:{digest}"}


class ResetEmailRateThrottle(AccountTargetRateThrottle):
    field = "email"
