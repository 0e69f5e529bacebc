"""The audit trail in the admin: read-only, searchable by username and object, filterable."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditEvent
from audit.services import audit_record


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Staff read the trail here; nobody adds, changes or deletes events (pruning is by age only)."""

    list_display = ["created_at", "action", "actor_username", "target_type", "target_repr", "client_address"]
    list_filter = ["action", ("created_at", admin.DateFieldListFilter), "target_type"]
    search_fields = ["actor_username", "target_repr", "=target_id", "=request_id", "=client_address"]
    date_hierarchy = "created_at"
    list_select_related = False
    show_full_result_count = False  # no COUNT(*) over a large trail on every page

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedAdminMixin:
    """Records the admin's saves and deletions of a model as `<model>.create/update/delete`.

    The admin runs each form in one transaction, so the event commits with the change. Bulk
    deletions ("delete selected") record one event per object.
    """

    def _audit(self, request: HttpRequest, verb: str, obj: Any, details: dict[str, Any]) -> None:
        action = f"{obj._meta.model_name}.{verb}"
        audit_record(action=action, request=request, target=obj, details={"via": "admin", **details})

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        self._audit(request, "update" if change else "create", obj, {"fields": sorted(form.changed_data)})

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self._audit(request, "delete", obj, {})
        super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self._audit(request, "delete", obj, {"bulk": True})
        super().delete_queryset(request, queryset)  # type: ignore[misc]
