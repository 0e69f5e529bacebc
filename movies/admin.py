"""The Django admin for curators: the catalogue's movies and genres.

Edits here are plain model saves: `movies.signals` invalidates the cached responses that show
them, each save and deletion is recorded in the audit trail (`audit.admin.AuditedAdminMixin`),
and the rating statistics are read-only (only rating writes change them).
"""

import datetime
from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from audit.admin import AuditedAdminMixin
from config.domain import FIRST_FILM_YEAR
from movies.models import Genre, Movie

FIRST_DECADE = FIRST_FILM_YEAR // 10 * 10


class DecadeListFilter(admin.SimpleListFilter):
    """Movies by decade of release (the 1990s: 1990 to 1999), or with no known year."""

    title = "decade"
    parameter_name = "decade"
    unknown = "unknown"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        # A fixed list: no query to find which decades exist.
        last = (datetime.date.today().year + 1) // 10 * 10
        decades = [(str(decade), f"{decade}s") for decade in range(last, FIRST_DECADE - 1, -10)]
        return [*decades, (self.unknown, "Unknown year")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == self.unknown:
            return queryset.filter(year__isnull=True)
        if value and value.isdigit():
            decade = int(value)
            return queryset.filter(year__gte=decade, year__lt=decade + 10)
        return queryset


@admin.register(Genre)
class GenreAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Genres; their names are searched by the movie form's genre picker."""

    list_display = ["name", "slug", "movies_count"]
    ordering = ["name"]  # explicit: the count annotation drops the model's default ordering
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Genre]:
        return super().get_queryset(request).annotate(movies_count=Count("movies"))

    @admin.display(description="movies", ordering="movies_count")
    def movies_count(self, genre: Genre) -> int:
        return genre.movies_count  # type: ignore[attr-defined]


@admin.register(Movie)
class MovieAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Movies. Statistics are shown, never edited: only rating writes change them."""

    list_display = ["title", "year", "genre_names", "average_rating", "ratings_count"]
    list_filter = ["genres", DecadeListFilter]
    search_fields = ["title", "=imdb_id", "=tmdb_id", "=movielens_id"]
    autocomplete_fields = ["genres"]
    readonly_fields = ["average_rating", "ratings_count", "movielens_id", "created_at", "updated_at"]
    fields = [
        "title",
        "year",
        "genres",
        "imdb_id",
        "tmdb_id",
        "movielens_id",
        "average_rating",
        "ratings_count",
        "created_at",
        "updated_at",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Movie]:
        return super().get_queryset(request).prefetch_related("genres")

    @admin.display(description="genres")
    def genre_names(self, movie: Movie) -> str:
        return ", ".join(genre.name for genre in movie.genres.all())

    @admin.display(description="average")
    def average_rating(self, movie: Movie) -> Decimal | None:
        return movie.average_rating

    def get_deleted_objects(
        self, objs: Any, request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        """Summarise what a deletion removes from the stored counters instead of listing every rating.

        A popular movie has tens of thousands of ratings: Django's default page would load and link
        each one, and ask for the permission to delete ratings, which deleting the movie implies.
        """
        movies = list(objs)
        ratings = sum(movie.ratings_count for movie in movies)
        deleted = [f"{movie} and its {movie.ratings_count} ratings" for movie in movies]
        counts = {str(Movie._meta.verbose_name_plural): len(movies)}
        if ratings:
            counts["ratings"] = ratings
        return deleted, counts, set(), []
