import os
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
    result = _import_settings("config.settings.production", SECRET_KEY="x" * 60)
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
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {SIGNING_KEY}"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": module, "SECRET_KEY": "k" * 60, "JWT_SIGNING_KEY": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "k" * 60, result.stderr


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
