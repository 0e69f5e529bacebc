"""Production settings: refuses to start without a strong SECRET_KEY of its own; passes `check --deploy`."""

import os
import sys

from .base import *  # noqa: F403
from .base import PUBLIC_BASE_URL, REDIS_URL, SIMPLE_JWT, env
from .keys import key_problem

if not os.environ.get("SECRET_KEY"):
    # One clear line instead of a traceback: the operator knows exactly what to set.
    sys.exit("ImproperlyConfigured: set the SECRET_KEY environment variable (50+ random characters).")

SECRET_KEY = env("SECRET_KEY")
# The key JWTs are signed with is what simplejwt resolves: base.py sets SIMPLE_JWT["SIGNING_KEY"]
# only when JWT_SIGNING_KEY is set, else simplejwt signs with SECRET_KEY.
for _name, _key in (("SECRET_KEY", SECRET_KEY), ("JWT_SIGNING_KEY", str(SIMPLE_JWT.get("SIGNING_KEY", SECRET_KEY)))):
    if _problem := key_problem(_key):
        sys.exit(
            f"ImproperlyConfigured: refusing this {_name}: {_problem}. Generate one with "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
        )
DEBUG = env.bool("DEBUG", default=False)

if not os.environ.get("EMAIL_URL"):
    # Printing emails to the log (the development default) would put password reset links in
    # front of everyone who reads the logs; without a mail server, emails are discarded and
    # users.services logs a warning for each.
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
elif not PUBLIC_BASE_URL:
    # A reset link must be absolute, and is never built from a request's Host header.
    sys.exit(
        "ImproperlyConfigured: EMAIL_URL is set, so set PUBLIC_BASE_URL too (https://your.host): emails link to it."
    )

# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Health probes and Prometheus' scrapes come over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Without Redis every worker process has its own cache: a revocation in one would not reach the
# others' cached authentication state (base.py).
AUTH_STATE_CACHE = env.bool("AUTH_STATE_CACHE", default=bool(REDIS_URL))

LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING["handlers"]["stderr"]["formatter"] = LOG_FORMAT if LOG_FORMAT in ("json", "console") else "json"  # noqa: F405
