from django.http import HttpRequest, JsonResponse
from django.urls import path


def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [path("health/live", live)]
