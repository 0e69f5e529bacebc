"""The floor of the stack: a minimal Django project, no apps, no middleware, one JSON view.

`make bench` serves it with the same server, the same server options and the same worker count
as the shipped application, so "x the floor" means "x what Django itself allows on this server".
"""

SECRET_KEY = "bench-floor-not-a-secret"  # serves one constant JSON body, nothing else
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "bench.floor.urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
LOGGING_CONFIG = None
