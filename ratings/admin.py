"""Admin for moderators: find ratings by user and movie, filter by score, edit or delete them.

Every change goes through `ratings.services`, so statistics stay exact for single edits,
single deletes and bulk deletes alike.
"""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from ratings.models import Rating
from ratings.services import rating_delete, rating_upsert, ratings_delete


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["user", "movie", "score", "rated_at", "updated_at"]
    list_select_related = ["user", "movie"]
    list_filter = ["score"]
    search_fields = ["user__username", "movie__title"]
    raw_id_fields = ["user", "movie"]
    date_hierarchy = "updated_at"
    ordering = ["-updated_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Rating | None = None) -> Any:
        # Who rated what is fixed once the rating exists; only the score and review change.
        return ["user", "movie", "rated_at", "updated_at"] if obj else ["rated_at", "updated_at"]

    def save_model(self, request: HttpRequest, obj: Rating, form: Any, change: bool) -> None:
        rating, _ = rating_upsert(user=obj.user, movie=obj.movie, score=obj.score, review=obj.review)
        obj.pk, obj.rated_at, obj.updated_at = rating.pk, rating.rated_at, rating.updated_at

    def delete_model(self, request: HttpRequest, obj: Rating) -> None:
        rating_delete(rating=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Rating]) -> None:
        ratings_delete(queryset)
