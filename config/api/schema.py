"""The OpenAPI schema view: `?version=N` picks the version whose shapes it documents."""

from typing import Any

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.versioning import UnsupportedVersion, request_version, supported_versions


class SchemaView(SpectacularAPIView):
    """`/api/schema/`: version 1's schema by default, `?version=2` (or the Accept header) for 2."""

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        version = request.query_params.get("version") or request_version(request)
        if version not in supported_versions():
            raise UnsupportedVersion()
        request._request.api_version = version  # type: ignore[attr-defined]
        self.api_version = version
        return super().get(request, *args, **kwargs)
