import pytest
from django.db import OperationalError

from config import health

pytestmark = pytest.mark.django_db


def test_live_is_always_200(api_client):
    response = api_client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_reports_every_dependency(api_client):
    response = api_client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_health_paths_do_not_redirect(api_client):
    assert api_client.get("/health/ready/").status_code == 404


def test_ready_is_503_when_the_database_is_unreachable(api_client, monkeypatch):
    class DeadCursor:
        def __enter__(self):
            raise OperationalError("connection refused")

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(health.connection, "cursor", lambda: DeadCursor())
    response = api_client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["status"] == "down"
    assert response.json()["database"] == "down"


def test_ready_is_degraded_when_redis_is_unreachable(api_client, settings):
    # A real django-redis client pointed at a port where nothing listens.
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    caches._settings = caches.settings = caches.configure_settings(None)  # type: ignore[attr-defined]
    try:
        response = api_client.get("/health/ready")
    finally:
        del caches._settings  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "down"}
