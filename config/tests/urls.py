"""Test-only routes that exercise the shared API plumbing without depending on a feature app."""

from django.urls import include, path
from rest_framework.exceptions import Throttled
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.cache import cache_response


class NumbersView(ListAPIView):
    """A paginated list of the numbers 1 to 45."""

    def get_queryset(self):
        return list(range(1, 46))

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(page)


class BoomView(APIView):
    def get(self, request: Request) -> Response:
        raise RuntimeError("secret internals must not leak")


class OutOfRangeView(APIView):
    """Sends the database a value it refuses (a NUL in a text comparison on PostgreSQL, an
    integer past bigint everywhere)."""

    def get(self, request: Request) -> Response:
        from django.db import DataError

        raise DataError("value out of range for type bigint")


class ThrottledView(APIView):
    def get(self, request: Request) -> Response:
        raise Throttled(wait=12.2)


class EchoView(APIView):
    def get(self, request: Request) -> Response:
        return Response({"version": request.version})

    def post(self, request: Request) -> Response:
        return Response({"received": request.data})


class CachedCounterView(APIView):
    """A cached view that counts how often it really runs."""

    calls = 0

    @cache_response(tags=lambda request, kwargs: ["counter"])
    def get(self, request: Request) -> Response:
        CachedCounterView.calls += 1
        return Response({"calls": CachedCounterView.calls, "version": request.version})


urlpatterns = [
    path("api/counter/", CachedCounterView.as_view()),
    path("api/numbers/", NumbersView.as_view()),
    path("api/boom/", BoomView.as_view()),
    path("api/throttled/", ThrottledView.as_view()),
    path("api/out-of-range/", OutOfRangeView.as_view()),
    path("api/echo/", EchoView.as_view()),
    path("", include("config.urls")),
]

handler404 = "config.api.errors.page_not_found"
handler500 = "config.api.errors.server_error"
