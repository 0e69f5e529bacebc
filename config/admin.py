"""The admin site, its login held to the login limit (SPEC section 8).

Without it, /admin/login/ takes unlimited password guesses for the superuser, whose name is
public, and parallel PBKDF2 hashes starve the workers that serve everyone else.
"""

import math
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from config.api.throttling import (
    LoginRateThrottle,
    client_ip,
    count_attempt,
    normalised_username,
    rate_for,
    refund_attempt,
)


class ThrottledAdminSite(admin.AdminSite):
    """Django's admin site; a login POST counts against THROTTLE_LOGIN per client IP and per username.

    The same counters as the API's login (scope `login`), so guesses spread over the admin and
    the API share one budget. A correct password gives the username's attempt back.
    """

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        rate = rate_for(LoginRateThrottle.scope)
        if request.method != "POST" or rate is None:
            return super().login(request, extra_context)
        attempts = [count_attempt(LoginRateThrottle.scope, f"ip:{client_ip(request)}", rate)]
        username = request.POST.get("username", "")
        if username:
            attempts.append(count_attempt(LoginRateThrottle.scope, f"user:{normalised_username(username)}", rate))
        refused = [attempt for attempt in attempts if not attempt.allowed]
        if refused:
            wait = math.ceil(max(attempt.wait for attempt in refused))
            response = HttpResponse(
                f"Too many login attempts. Try again in {wait} seconds.\n", status=429, content_type="text/plain"
            )
            response["Retry-After"] = str(wait)
            return response
        response = super().login(request, extra_context)
        if request.user.is_authenticated:
            for attempt in attempts[1:]:
                refund_attempt(attempt)
        return response
