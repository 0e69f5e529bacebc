"""Accept-header API versioning (SPEC section 3).

`Accept: application/json; version=2` selects version 2; no version means 1; any other version
is a 406 whose body lists the supported versions.
"""

from collections.abc import Mapping
from typing import Any, TypeVar

from django.conf import settings
from rest_framework import exceptions, versioning
from rest_framework.request import Request

API_PATH_PREFIX = "/api/"

T = TypeVar("T")


def supported_versions() -> list[str]:
    return list(settings.REST_FRAMEWORK["ALLOWED_VERSIONS"])


def default_version() -> str:
    return str(settings.REST_FRAMEWORK["DEFAULT_VERSION"])


def version_from_accept(accept: str) -> str:
    """The supported version an Accept header asks for, or the default one."""
    for media_range in accept.split(","):
        for param in media_range.split(";")[1:]:
            key, _, value = param.partition("=")
            if key.strip() == "version" and value.strip().strip('"') in supported_versions():
                return value.strip().strip('"')
    return default_version()


class UnsupportedVersion(exceptions.NotAcceptable):
    default_detail = "This API version is not supported. Ask for one of the supported_versions."
    default_code = "unsupported_version"


class AcceptHeaderVersioning(versioning.AcceptHeaderVersioning):
    """DRF's Accept-header versioning, with a problem body that names the supported versions."""

    def determine_version(self, request: Request, *args: Any, **kwargs: Any) -> str:
        try:
            version = super().determine_version(request, *args, **kwargs)
        except exceptions.NotAcceptable as exc:
            raise UnsupportedVersion() from exc
        request._request.api_version = version  # type: ignore[attr-defined]
        return str(version)


def request_version(request: Request) -> str:
    """The negotiated version of a DRF request (the default for schema generation)."""
    return str(getattr(request, "version", None) or default_version())


def for_version(request: Request, choices: Mapping[str, T]) -> T:
    """What the request's API version selects: `for_version(request, {"1": A, "2": B})`.

    Every supported version must have its entry (a KeyError otherwise, never a silent default).
    """
    return choices[request_version(request)]
