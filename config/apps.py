"""The project's own app configs: `config` holds cross-cutting models (throttle counters), and
the admin is replaced by one whose login obeys the login throttle."""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ProjectConfig(AppConfig):
    default = True
    name = "config"
    verbose_name = "Project plumbing"

    def ready(self) -> None:
        from config import request_signals

        request_signals.install()


class ThrottledAdminConfig(admin_apps.AdminConfig):
    """Django's admin with `config.admin.ThrottledAdminSite` as its default site."""

    default = False
    default_site = "config.admin.ThrottledAdminSite"
