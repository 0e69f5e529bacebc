"""ReDoc's bundle, served by the service with its one reference to another host replaced.

The sidecar's `redoc.standalone.js` shows the Redocly logo from `https://cdn.redoc.ly`, which the
Content-Security-Policy (`img-src 'self' data:`) rightly blocks: the docs must make no request
that leaves the host (SPEC 2, "Docs and operations"). This view serves the same bundle with that
URL pointing at a logo in the service's own static files, so the policy stays strict and the
page loads without a blocked request.
"""

from functools import lru_cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse

SIDECAR_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
EXTERNAL_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
LOCAL_LOGO = "redoc/logo-mini.svg"


@lru_cache(maxsize=1)
def _bundle() -> bytes:
    found = finders.find(SIDECAR_BUNDLE)
    if not isinstance(found, str):
        raise RuntimeError(f"{SIDECAR_BUNDLE} not found: is drf-spectacular-sidecar installed?")
    text = Path(found).read_text(encoding="utf-8")
    return text.replace(EXTERNAL_LOGO, staticfiles_storage.url(LOCAL_LOGO)).encode()


def redoc_bundle(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_bundle(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response
