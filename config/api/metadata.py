"""What `OPTIONS` answers on the API: DRF's simple metadata, for every kind of view.

DRF's `SimpleMetadata` describes the write body of a view's serializer to callers allowed to
write. Views whose body is not a serializer's (the multipart ratings import, which documents its
file field in the schema instead) have no `serializer_class`, and DRF would fail on them with a
500: they describe no actions. The OpenAPI schema (`/api/schema/`) is the full description.
"""

from typing import Any

from rest_framework.metadata import SimpleMetadata
from rest_framework.request import Request


class ApiMetadata(SimpleMetadata):
    def determine_actions(self, request: Request, view: Any) -> dict[str, Any]:
        if not _has_serializer(view):
            return {}
        actions: dict[str, Any] = super().determine_actions(request, view)
        return actions


def _has_serializer(view: Any) -> bool:
    # Imported here: rest_framework.generics reads the API settings, which name this module.
    from rest_framework.generics import GenericAPIView

    if not isinstance(view, GenericAPIView):
        return False
    overridden = type(view).get_serializer_class is not GenericAPIView.get_serializer_class
    return overridden or view.serializer_class is not None
