"""Page-number pagination (SPEC section 4): strict about bad input, clamps oversized pages."""

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from rest_framework import pagination
from rest_framework.request import Request
from rest_framework.views import APIView

from config.api.params import positive_int


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

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters
