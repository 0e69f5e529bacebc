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
