"""Production settings with MIDDLEWARE cut to what the SPEC's other sections ask every request to
pass through, whatever else is trimmed: the floor's lower bound in this design.

`make bench` serves `/health/live` with these beside the minimal project (bench/floor) and the
shipped settings, on the same server, and `bench/inprocess.py required` (and `section8`: the
three Django middleware alone) measures them in-process. Nothing else differs from production.
"""

from django.core.exceptions import ImproperlyConfigured

from config.settings.production import *  # noqa: F403
from config.settings.production import MIDDLEWARE as SHIPPED_MIDDLEWARE

# Section 8: `manage.py check --deploy` with no warning asks for these three by their dotted paths.
SECTION_8_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
REQUIRED_MIDDLEWARE = [
    "config.metrics.MetricsMiddleware",  # section 16: requests, statuses and latency on /metrics
    "config.middleware.RequestIdMiddleware",  # section 10: X-Request-ID and one JSON log line
    *SECTION_8_MIDDLEWARE,
]

if missing := set(REQUIRED_MIDDLEWARE) - set(SHIPPED_MIDDLEWARE):
    raise ImproperlyConfigured(f"not in the shipped MIDDLEWARE any more: {', '.join(sorted(missing))}")
MIDDLEWARE = [name for name in SHIPPED_MIDDLEWARE if name in REQUIRED_MIDDLEWARE]  # the shipped order
