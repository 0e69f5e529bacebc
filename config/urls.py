"""Top-level routes: the API (one include per feature app), docs, health probes, the admin and the website."""

from django.conf import settings
from django.contrib import admin
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

from config import health, metrics, redoc
from config.api.schema import SchemaView


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico whatever the page says: send them to the static file."""
    return HttpResponseRedirect(staticfiles_storage.url("favicon.ico"))


urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file, so no inline script is needed.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api/redoc/redoc.standalone.js", redoc.redoc_bundle, name="redoc-bundle"),
    path("api/", include("users.urls")),
    path("api/", include("movies.urls")),
    path("api/", include("ratings.urls")),
    path("api/", include("recommendations.urls")),
    path("admin/", admin.site.urls),
    # The website for people (SPEC section 15); last, so it never shadows a service path.
    path("", include("web.urls")),
]

if settings.BENCH_FLOOR:

    def floor(request: HttpRequest) -> JsonResponse:
        """The benchmark's floor: plain Django, same server and middleware, no DRF, no database."""
        return JsonResponse({"id": 1, "title": "Floor"})

    urlpatterns.insert(0, path("api/_floor", floor))

handler400 = "config.api.errors.bad_request"
handler403 = "config.api.errors.permission_denied"
handler404 = "config.api.errors.page_not_found"
handler500 = "config.api.errors.server_error"
