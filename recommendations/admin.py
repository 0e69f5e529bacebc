"""The build history in the admin: read-only (models are built by the worker, never by hand)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from recommendations.models import SimilarityModel

_FIELDS: tuple[str, ...] = (
    "id",
    "is_active",
    "created_at",
    "activated_at",
    "ratings_count",
    "movies_count",
    "pairs_count",
    "build_seconds",
)


@admin.register(SimilarityModel)
class SimilarityModelAdmin(admin.ModelAdmin):
    list_display = _FIELDS
    list_filter = ("is_active",)
    readonly_fields = (*_FIELDS, "parameters")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
