"""Production settings serving bench/bounds/urls.py: the shipped project and every middleware, plus the bound views."""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.bounds.urls"
