"""Production settings: refuses to start without SECRET_KEY; passes `check --deploy`."""

import os
import sys

from .base import *  # noqa: F403
from .base import env

if not os.environ.get("SECRET_KEY"):
    # One clear line instead of a traceback: the operator knows exactly what to set.
    sys.exit("ImproperlyConfigured: set the SECRET_KEY environment variable (50+ random characters).")

SECRET_KEY = env("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)

# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Health probes come from the orchestrator over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING["handlers"]["stderr"]["formatter"] = LOG_FORMAT if LOG_FORMAT in ("json", "console") else "json"  # noqa: F405
