"""Test settings: the same stack as production (PostgreSQL and Redis when their URLs are set)."""

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env("SECRET_KEY", default="test-secret-key-used-only-by-the-test-suite-0123456789")
# Fast hashing keeps the suite quick; production uses Django's default hashers.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files straight from the apps: tests never run collectstatic.
WHITENOISE_AUTOREFRESH = True
# Tasks run in-process unless a test starts a real worker (recommendations/tests/test_worker.py):
# nothing else in the suite consumes the broker, so nothing may be left queued on it.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
