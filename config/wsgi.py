"""WSGI entry point; production settings unless DJANGO_SETTINGS_MODULE says otherwise."""

import os

from django.core.wsgi import get_wsgi_application

from config.tracing import configure_tracing

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
# Before Django loads its middleware: the Django instrumentation adds its own. A no-op unless
# OTEL_EXPORTER_OTLP_ENDPOINT is set.
configure_tracing()

application = get_wsgi_application()
