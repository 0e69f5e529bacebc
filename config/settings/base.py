"""Settings shared by every environment, read from environment variables (12-factor).

Every variable, its default and its meaning is listed in the README's "Configuration" table.
Environment-specific modules (local, test, production) import this one and override a few values.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ

BASE_DIR = Path(__file__).resolve().parents[2]

env = environ.Env()

# --- Core ---------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#secret-key
SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "users.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

INSTALLED_APPS = [
    "config.apps.ThrottledAdminConfig",  # django.contrib.admin, its login throttled
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "config",
    "audit",
    "users",
    "movies",
    "ratings",
    "movielens",
    "recommendations",
    "web",
]

MIDDLEWARE = [
    "config.metrics.MetricsMiddleware",  # first: it times and counts everything below
    "config.middleware.RequestIdMiddleware",
    # API-Version and Vary, no-store on private paths, the Content-Security-Policy: one pass, values
    # read at start-up, above the early answers (413, 400, 405) so that those carry them too.
    "config.middleware.ResponseHeadersMiddleware",
    "config.middleware.BodySizeLimitMiddleware",
    "config.middleware.RejectNulMiddleware",
    "config.middleware.UnknownMethodMiddleware",
    "config.middleware.ApiProblemsMiddleware",
    # Django's own by name: `check --deploy` looks for these dotted paths (not subclasses).
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's session, auth and messages middleware, skipped for /api/ and /health/ (CSRF stays
    # Django's own: `check --deploy` asks for it by name, and it costs little on exempt views).
    "config.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "config.middleware.AuthenticationMiddleware",
    "config.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: cache hits of public reads answered ahead of DRF's dispatch, below every other middleware.
    "users.hits.CachedHitMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
# PostgreSQL through psycopg 3 when DATABASE_URL is set, SQLite otherwise.
# https://docs.djangoproject.com/en/5.2/ref/databases/#persistent-connections
# An empty DATABASE_URL counts as unset.
# DATABASE_REPLICA_URLS (comma-separated, zero or more) adds streaming replicas as the aliases
# replica_0, replica_1, ...; config.db routes public cache fills there when they cannot be stale.
# Parameters are bound by the server (psycopg's server-side binding), so a statement's text is the
# same whatever its values, and psycopg prepares a statement the fifth time a connection runs it
# (psycopg's own default): PostgreSQL then no longer parses and plans it on every run (a detail
# miss: 560-670 -> 240-270 µs of PostgreSQL's CPU, bench/analysis.md).
# DATABASE_POOLER=pgbouncer: connections go through PgBouncer in transaction pooling mode, so no
# server-side cursors and no prepared statements (both live in a session; the PgBouncer this
# project deploys predates `max_prepared_statements`), and nothing sets session state that must
# persist. Parameters are still bound by the server: an unnamed statement lives in its transaction.
# https://docs.djangoproject.com/en/5.2/ref/databases/#transaction-pooling-server-side-cursors
DATABASE_POOLER = env("DATABASE_POOLER", default="")
DATABASE_REPLICA_URLS = [url for url in env.list("DATABASE_REPLICA_URLS", default=[]) if url.strip()]


def database_config(url: str) -> dict[str, Any]:
    config: dict[str, Any] = env.db_url_config(url)
    if config["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, with a health check that polls the socket instead of a `SELECT 1` round
        # trip on every request (config/postgresql/base.py).
        config["ENGINE"] = "config.postgresql"
        config["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
        config["CONN_HEALTH_CHECKS"] = True
        config.setdefault("OPTIONS", {})
        # A dead database must fail fast (503) rather than hang a worker.
        config["OPTIONS"]["connect_timeout"] = env.int("DATABASE_CONNECT_TIMEOUT", default=3)
        config["OPTIONS"]["server_side_binding"] = True
        config["OPTIONS"]["prepare_threshold"] = None if DATABASE_POOLER == "pgbouncer" else 5
        config["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
            "DISABLE_SERVER_SIDE_CURSORS", default=DATABASE_POOLER == "pgbouncer"
        )
    return config


DATABASES = {"default": database_config(env("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
for _number, _url in enumerate(DATABASE_REPLICA_URLS):
    # In tests a replica alias mirrors the test database (same name on the replica's server).
    DATABASES[f"replica_{_number}"] = {**database_config(_url), "TEST": {"MIRROR": "default"}}
DATABASE_REPLICAS = [alias for alias in DATABASES if alias != "default"]
DATABASE_ROUTERS = ["config.db.PrimaryReplicaRouter"]

# --- Cache --------------------------------------------------------------------------------
# Redis through django-redis when REDIS_URL is set, process-local memory otherwise.
# Cache errors are handled where the cache is used (config.cache, config.api.throttling) so that
# a Redis outage degrades the service instead of failing requests.
CACHE_TTL = env.int("CACHE_TTL", default=600)
# Cache generations (config.cache) expire too, so every key the service writes does.
CACHE_GENERATION_TTL = env.int("CACHE_GENERATION_TTL", default=24 * 60 * 60)
# The public address of the service (`https://movies.example.com`): absolute pagination links
# (relative without it) and the links in emails (password reset; production refuses EMAIL_URL
# without it). Never taken from the request's Host header.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="").rstrip("/")
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "TIMEOUT": CACHE_TTL,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "PARSER_CLASS": "redis.connection._HiredisParser",
                "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CONNECT_TIMEOUT", default=0.25),
                "SOCKET_TIMEOUT": env.float("REDIS_SOCKET_TIMEOUT", default=0.25),
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "TIMEOUT": CACHE_TTL,
        }
    }
# Bearer tokens' authentication state in the cache (users.authstate): a cached read with a
# token then runs no query. A revocation must reach every process at once, so only a cache every
# process shares may hold it: production turns it off without REDIS_URL (production.py), where
# each worker process would keep its own copy; a single-process server (runserver, the tests)
# keeps it on the in-process cache.
AUTH_STATE_CACHE = env.bool("AUTH_STATE_CACHE", default=True)

# --- Background work (Celery) -------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/django/first-steps-with-django.html
# The broker is the Redis of REDIS_URL on the next database number, so queue keys never mix
# with the cache's (SPEC section 14). Without a broker, tasks run in-process (eagerly).


def _next_redis_database(url: str) -> str:
    """`redis://host:6379/0` -> `redis://host:6379/1` (no database number means 0)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    current = parts.path.strip("/") or "0"
    database = int(current) + 1 if current.isdigit() else 1
    return urlunsplit(parts._replace(path=f"/{database}"))


CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or (_next_redis_database(REDIS_URL) if REDIS_URL else "")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True  # tasks report through logs and the database, not a result backend
CELERY_TASK_ACKS_LATE = True  # a worker that dies mid-task leaves the message for another
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # builds are long: do not reserve them on a busy worker
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # keep Django's LOGGING (request ids, JSON lines)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
# celery beat: the nightly rebuild (a crontab "minute hour day-of-month month day-of-week", UTC;
# empty turns it off), and a heartbeat file its health check reads.
SIMILARITY_REBUILD_SCHEDULE = env("SIMILARITY_REBUILD_SCHEDULE", default="30 3 * * *")
CELERY_BEAT_SCHEDULER = "config.celery.HeartbeatScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = env.int("CELERY_BEAT_MAX_LOOP_INTERVAL", default=30)
CELERY_BEAT_SCHEDULE_FILENAME = env("CELERY_BEAT_SCHEDULE_FILENAME", default="/tmp/celerybeat-schedule")
CELERY_BEAT_HEARTBEAT_FILE = env("CELERY_BEAT_HEARTBEAT_FILE", default="/tmp/celerybeat-heartbeat")


def _beat_schedule(cron: str) -> dict[str, Any]:
    from celery.schedules import crontab

    fields = cron.split()
    if not fields:
        return {}
    if len(fields) != 5:
        raise ValueError(f"SIMILARITY_REBUILD_SCHEDULE must be 5 crontab fields, not {cron!r}")
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    return {
        "rebuild-similarities": {
            "task": "recommendations.tasks.rebuild_similarities",
            "schedule": crontab(
                minute=minute,
                hour=hour,
                day_of_month=day_of_month,
                month_of_year=month_of_year,
                day_of_week=day_of_week,
            ),
        }
    }


CELERY_BEAT_SCHEDULE = _beat_schedule(SIMILARITY_REBUILD_SCHEDULE)
# The audit trail keeps AUDIT_RETENTION_DAYS; older events go once a day (docs/audit.md).
CELERY_BEAT_SCHEDULE["prune-audit-events"] = {"task": "audit.tasks.prune_audit_events", "schedule": 24 * 60 * 60}

# --- Proxies ------------------------------------------------------------------------------
# The request scheme comes from a proxy header only when the deployment says a proxy sets it:
# SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https". By default X-Forwarded-Proto is
# ignored, so a client cannot make a plain request look secure (HSTS, https links).
# Client addresses likewise: REST_FRAMEWORK["NUM_PROXIES"] below.
_proxy_ssl_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header) if len(_proxy_ssl_header) == 2 else None

# --- Security headers ---------------------------------------------------------------------
# Everything the service serves comes from itself: the docs' assets are self-hosted
# (drf-spectacular-sidecar) and their pages carry no inline scripts. Inline styles are allowed
# because Swagger UI and ReDoc set element styles at run time; ReDoc runs a worker from a blob.
CONTENT_SECURITY_POLICY = env(
    "CONTENT_SECURITY_POLICY",
    default="default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
)

# --- Request limits -----------------------------------------------------------------------
# Bodies larger than this are refused with a 413 before they are read (config.middleware).
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=64 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES
# The ratings import (SPEC section 13) takes one file of up to this size; its path alone gets a
# body limit of the file's plus the general one (room for the multipart envelope).
RATINGS_IMPORT_MAX_BYTES = env.int("RATINGS_IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
# The API's import endpoint and the website's import form (web app) take files up to that size.
REQUEST_BODY_LIMITS_BY_PATH = {
    path: RATINGS_IMPORT_MAX_BYTES + MAX_REQUEST_BODY_BYTES
    for path in ("/api/users/me/ratings/import/", "/me/ratings/import/")
}

# --- Auth ---------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # SPEC section 8's extra rules: not only whitespace, no username or email local part, 10+ for staff.
    {"NAME": "users.passwords.NotOnlyWhitespaceValidator"},
    {"NAME": "users.passwords.NoIdentityValidator"},
    {"NAME": "users.passwords.StaffMinimumLengthValidator"},
]
AUTHENTICATION_BACKENDS = ["users.backends.UsernameAnyCaseBackend"]

# Every session and personal token ends when the password changes (users.models.User.save).
# Password reset links (users.services) are valid this long, and single-use.
# Fractions are accepted (`0.01` is 36 seconds), so harnesses can watch a link expire.
PASSWORD_RESET_HOURS = env.float("PASSWORD_RESET_HOURS", default=2)
PASSWORD_RESET_TIMEOUT = max(1, round(PASSWORD_RESET_HOURS * 60 * 60))
# Key of the HMAC that stores personal access tokens; SECRET_KEY when empty. Changing it (or
# SECRET_KEY when this is empty) makes every personal access token invalid.
PERSONAL_ACCESS_TOKEN_HASH_KEY = env("PERSONAL_ACCESS_TOKEN_HASH_KEY", default="")

# --- Email --------------------------------------------------------------------------------
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-email-url
# `smtp+tls://user:password@host:587` in production, `consolemail://` (the default: printed to
# stderr) in development, `filemail:///path/to/dir` (one .eml file per message) for harnesses.
# Production discards emails without EMAIL_URL (config.settings.production): it never prints
# reset links to its log.
_email = env.email_url("EMAIL_URL", default="consolemail://")
# `filemail://` writes one .eml file per message (config.email), not Django's .log files.
EMAIL_BACKEND = _email["EMAIL_BACKEND"].replace(
    "django.core.mail.backends.filebased.EmailBackend", "config.email.EmlFileBackend"
)
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
# django-environ drops the leading slash of `filemail:///abs/dir`; the path is absolute.
EMAIL_FILE_PATH = "/" + _email["EMAIL_FILE_PATH"].lstrip("/") if _email["EMAIL_FILE_PATH"] else None
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Movie ratings <noreply@localhost>")
# An SMTP server that stops answering must not hold a worker thread forever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# The service's name in the emails it sends; links in them are built from PUBLIC_BASE_URL (above).
SERVICE_NAME = env("SERVICE_NAME", default="Movie ratings")

# The website's session login (web app); the API authenticates with JWTs and never reads sessions.
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:catalogue"

# --- Static files (served by the app itself through WhiteNoise) ---------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "config" / "static"]  # the site-wide favicon
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Django REST framework ----------------------------------------------------------------
THROTTLE_LOGIN = env("THROTTLE_LOGIN", default="10/min")
THROTTLE_REGISTER = env("THROTTLE_REGISTER", default="10/min")
THROTTLE_WRITES = env("THROTTLE_WRITES", default="120/min")
THROTTLE_ACCOUNT = env("THROTTLE_ACCOUNT", default="30/hour")
THROTTLE_REFRESH = env("THROTTLE_REFRESH", default="60/min")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "users.authentication.BearerAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    # DRF's JSON, byte for byte, written by orjson (config/api/renderers.py).
    "DEFAULT_RENDERER_CLASSES": ["config.api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.api.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "config.api.negotiation.ContentNegotiation",
    "DEFAULT_VERSIONING_CLASS": "config.api.versioning.AcceptHeaderVersioning",
    "DEFAULT_VERSION": "1",
    "ALLOWED_VERSIONS": ["1", "2"],
    "DEFAULT_METADATA_CLASS": "config.api.metadata.ApiMetadata",
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "config.api.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "login": THROTTLE_LOGIN,
        "register": THROTTLE_REGISTER,
        "writes": THROTTLE_WRITES,
        "account": THROTTLE_ACCOUNT,
        "refresh": THROTTLE_REFRESH,
    },
    # Client IPs come from REMOTE_ADDR unless the deployment says how many proxies to trust;
    # trusting X-Forwarded-For blindly would let anyone dodge the login throttle.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "COERCE_DECIMAL_TO_STRING": False,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "TOKEN_OBTAIN_SERIALIZER": "users.serializers.LoginSerializer",
}
# JWTs are signed with SECRET_KEY (simplejwt's default, read once the settings module in use has
# set it) unless JWT_SIGNING_KEY names a key of their own.
if JWT_SIGNING_KEY := env("JWT_SIGNING_KEY", default=""):
    SIMPLE_JWT["SIGNING_KEY"] = JWT_SIGNING_KEY
# No session outlives this, however often its refresh token rotates (users.tokens).
# Fractions are accepted, so harnesses can watch a session end.
JWT_SESSION_LIFETIME = timedelta(days=env.float("JWT_SESSION_DAYS", default=30))

SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "Movie ratings API",
    "DESCRIPTION": (
        "Rate how entertaining movies are and see what you rated. Choose the API version with "
        "`Accept: application/json; version=1` (default) or `version=2`; a generated client sends "
        "it as its default `Accept` header. Version 2 bodies are `application/json; version=2` "
        "(errors `application/problem+json; version=2`); version 1 bodies are `application/json`."
    ),
    "VERSION": None,  # info.version is the documented API version (config.api.openapi.set_info_version)
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.openapi.forbid_nul_in_request_strings",
        "config.api.openapi.allow_blank_query_parameters",
        "config.api.openapi.set_info_version",
    ],
}

# --- Domain -------------------------------------------------------------------------------
# Prior weight m of the Bayesian weighted rating (SPEC section 6).
RATING_PRIOR = env.int("RATING_PRIOR", default=10)
# How long the catalogue-wide mean C may be reused before it is recomputed (seconds).
RATING_GLOBAL_MEAN_TTL = env.int("RATING_GLOBAL_MEAN_TTL", default=60)
# Mount /api/_floor, a bare Django JSON view used by the benchmark as the stack's own limit.
BENCH_FLOOR = env.bool("BENCH_FLOOR", default=False)
# Where the MovieLens sample lives for tests and benchmarks; never committed to the repo.
MOVIELENS_DIR = env("MOVIELENS_DIR", default="")

# --- Metrics ------------------------------------------------------------------------------
# /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, it is a 404 (config.metrics).
METRICS_TOKEN = env("METRICS_TOKEN", default="")
# Off only to measure what recording costs (the benchmark); then nothing is recorded.
METRICS_ENABLED = env.bool("METRICS_ENABLED", default=True)

# --- Audit trail ---------------------------------------------------------------------------
# Events older than this are deleted by `prune_audit_events` (run daily by the scheduler).
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)

# --- Logging ------------------------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = env("LOG_FORMAT", default="console")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "config.logging.RequestIdFilter"},
        "client_error": {"()": "config.logging.ClientErrorFilter"},
    },
    "formatters": {
        "console": {
            "format": "%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s (trace %(trace_id)s)",
        },
        # time, level, logger, message, request_id, trace_id, span_id, then every `extra` field
        # (config.logging).
        "json": {"()": "config.logging.JsonFormatter"},
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT if LOG_FORMAT in ("json", "console") else "console",
        },
    },
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        # The request log (config.middleware) replaces Django's own per-request lines.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        # Requests Django refuses as the client's fault: one WARNING line each, no traceback.
        **{
            f"django.security.{name}": {"filters": ["client_error"]}
            for name in ("DisallowedHost", "RequestDataTooBig", "TooManyFieldsSent", "TooManyFilesSent")
        },
    },
}
