"""Page-number pagination (SPEC section 4): strict about bad input, clamps oversized pages."""

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet
from rest_framework import pagination
from rest_framework.request import Request
from rest_framework.views import APIView

from config.api.params import positive_int
from config.cache import query_pairs


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=` and `?page_size=` (default 20, at most 100).

    A page or page size that is not a positive whole number is a 400 naming the parameter;
    a page size above the maximum is clamped; a page past the last is a 404.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Request) -> int:
        return positive_int(
            request.query_params, self.page_size_query_param, default=self.page_size, maximum=self.max_page_size
        )

    def paginate_queryset(
        self, queryset: QuerySet[Any] | Sequence[Any], request: Request, view: APIView | None = None
    ) -> Any:
        positive_int(request.query_params, self.page_query_param, default=1)
        return super().paginate_queryset(queryset, request, view)

    def get_next_link(self) -> str | None:
        if self.page is None or not self.page.has_next():
            return None
        return self._link(self.page.next_page_number())

    def get_previous_link(self) -> str | None:
        if self.page is None or not self.page.has_previous():
            return None
        return self._link(self.page.previous_page_number())

    def _link(self, page_number: int) -> str:
        """A link to another page of this list, from the path, the normalised query and
        PUBLIC_BASE_URL only: the request's Host and X-Forwarded-Proto never reach a body that
        the cache then serves to everyone (SPEC section 7)."""
        request = self.request
        assert request is not None  # set by paginate_queryset before any link is asked for
        pairs = [(key, value) for key, value in query_pairs(request) if key != self.page_query_param]
        if page_number != 1:
            pairs.append((self.page_query_param, str(page_number)))
        query = urlencode(pairs)
        return f"{settings.PUBLIC_BASE_URL}{request.path}" + (f"?{query}" if query else "")

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        response_schema: dict[str, Any] = super().get_paginated_response_schema(schema)
        for link in ("next", "previous"):
            # Relative unless PUBLIC_BASE_URL is configured.
            response_schema["properties"][link]["format"] = "uri-reference"
        return response_schema

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters
