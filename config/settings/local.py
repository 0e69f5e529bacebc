"""Development settings: `manage.py` uses these unless DJANGO_SETTINGS_MODULE says otherwise."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
# A fixed key is fine on a developer's machine and nowhere else: production refuses to start
# without SECRET_KEY (config.settings.production).
SECRET_KEY = env("SECRET_KEY", default="django-insecure-local-development-key-not-for-production")
