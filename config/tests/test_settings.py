import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _import_settings(module: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DJANGO_SETTINGS_MODULE")}
    environment.update(env, DJANGO_SETTINGS_MODULE=module)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _import_settings("config.settings.production")
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "SECRET_KEY" in result.stderr


def test_production_starts_with_a_secret_key():
    result = _import_settings("config.settings.production", SECRET_KEY=secrets.token_urlsafe(50))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("url", ["", "sqlite:///tmp-settings-test.sqlite3"])
def test_sqlite_is_the_fallback_without_a_database_url(url):
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "django.db.backends.sqlite3", result.stderr


SIGNING_KEY = "from rest_framework_simplejwt.settings import api_settings; print(api_settings.SIGNING_KEY)"


@pytest.mark.parametrize("module", ["config.settings.local", "config.settings.test", "config.settings.production"])
def test_jwts_are_signed_with_the_secret_key_of_the_settings_in_use(module):
    key = secrets.token_urlsafe(50)  # production refuses simple keys (config/settings/keys.py)
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {SIGNING_KEY}"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": module, "SECRET_KEY": key, "JWT_SIGNING_KEY": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == key, result.stderr


def test_jwt_signing_key_overrides_the_secret_key():
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {SIGNING_KEY}"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "JWT_SIGNING_KEY": "j" * 60},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "j" * 60, result.stderr


def _production_setting(expression: str, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; print({expression})"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_ignores_x_forwarded_proto_unless_configured():
    assert _production_setting("settings.SECURE_PROXY_SSL_HEADER") == "None"
    configured = _production_setting(
        "settings.SECURE_PROXY_SSL_HEADER", SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https"
    )
    assert configured == "('HTTP_X_FORWARDED_PROTO', 'https')"


@pytest.mark.django_db
def test_a_forged_x_forwarded_proto_gets_no_hsts(client, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    response = client.get("/health/live", HTTP_X_FORWARDED_PROTO="https")
    assert "Strict-Transport-Security" not in response


def _email_settings(module: str, **env: str) -> list[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("EMAIL_URL", "DJANGO_SETTINGS_MODULE")}
    environment.update(env, DJANGO_SETTINGS_MODULE=module, SECRET_KEY=secrets.token_urlsafe(50))
    script = (
        "from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_HOST_PASSWORD, "
        "s.EMAIL_USE_TLS, s.EMAIL_FILE_PATH, s.JWT_SESSION_LIFETIME.total_seconds(), s.PASSWORD_RESET_TIMEOUT, sep='|')"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().split("|")


def test_email_url_configures_smtp_with_tls():
    values = _email_settings("config.settings.local", EMAIL_URL="smtp+tls://mailer:s3cr%40t@mail.example.com:587")
    assert values[:6] == [
        "django.core.mail.backends.smtp.EmailBackend",
        "mail.example.com",
        "587",
        "mailer",
        "s3cr@t",
        "True",
    ]


def test_filemail_writes_eml_files_into_the_absolute_folder_named():
    values = _email_settings("config.settings.local", EMAIL_URL="filemail:///tmp/outbox")
    assert values[0] == "config.email.EmlFileBackend"
    assert values[6] == "/tmp/outbox"


def test_email_is_printed_in_development_and_discarded_in_production_without_email_url():
    assert _email_settings("config.settings.local")[0] == "django.core.mail.backends.console.EmailBackend"
    assert _email_settings("config.settings.production")[0] == "django.core.mail.backends.dummy.EmailBackend"


def test_session_days_and_reset_hours_come_from_the_environment():
    values = _email_settings("config.settings.local", JWT_SESSION_DAYS="3", PASSWORD_RESET_HOURS="5")
    assert values[7:] == [str(3 * 86400.0), str(5 * 3600)]
    assert _email_settings("config.settings.local")[7:] == [str(30 * 86400.0), str(2 * 3600)]


def test_fractional_durations_are_accepted_for_harnesses():
    values = _email_settings("config.settings.local", JWT_SESSION_DAYS="0.0001", PASSWORD_RESET_HOURS="0.01")
    assert values[7:] == ["8.64", "36"]


def test_production_refuses_an_email_url_without_public_base_url():
    result = _import_settings(
        "config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        EMAIL_URL="smtp+tls://mail.example.com:587",
        PUBLIC_BASE_URL="",
    )
    assert result.returncode != 0
    assert "set PUBLIC_BASE_URL" in result.stderr
    configured = _email_settings(
        "config.settings.production",
        EMAIL_URL="smtp+tls://mail.example.com:587",
        PUBLIC_BASE_URL="https://movies.example.com",
    )
    assert configured[0] == "django.core.mail.backends.smtp.EmailBackend"


DATABASES_SHAPE = (
    "from django.conf import settings as s; d = s.DATABASES; "
    "print(s.DATABASE_REPLICAS, [(a, d[a]['PORT'], d[a]['DISABLE_SERVER_SIDE_CURSORS'], "
    "d[a]['OPTIONS']['server_side_binding'], d[a]['OPTIONS']['prepare_threshold'], "
    "d[a].get('TEST', {}).get('MIRROR')) for a in d])"
)


def _databases(**env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", DATABASES_SHAPE],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_POOLER": "", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_each_replica_url_becomes_a_replica_alias_that_mirrors_the_test_database():
    shape = _databases(
        DATABASE_URL="postgres://m@db:5432/movies",
        DATABASE_REPLICA_URLS="postgres://m@r1:5433/movies, postgres://m@r2:5434/movies",
    )
    assert shape == (
        "['replica_0', 'replica_1'] [('default', 5432, False, True, 5, None), "
        "('replica_0', 5433, False, True, 5, 'default'), ('replica_1', 5434, False, True, 5, 'default')]"
    )


def test_no_replica_urls_means_the_primary_alone():
    assert _databases(DATABASE_URL="postgres://m@db:5432/movies", DATABASE_REPLICA_URLS="") == (
        "[] [('default', 5432, False, True, 5, None)]"
    )


def test_pgbouncer_turns_server_side_cursors_and_prepared_statements_off_on_every_alias():
    shape = _databases(
        DATABASE_URL="postgres://m@bouncer:6432/movies",
        DATABASE_REPLICA_URLS="postgres://m@bouncer:6432/movies_replica",
        DATABASE_POOLER="pgbouncer",
    )
    assert shape == (
        "['replica_0'] [('default', 6432, True, True, None, None), ('replica_0', 6432, True, True, None, 'default')]"
    )
