"""Query parameters of the movie list: search, filters and ordering (SPEC section 2, "Movies").

An invalid value (`year=abc`, `min_ratings=-1`, an unknown ordering field) makes the form
invalid, and DjangoFilterBackend turns its errors into a 400 naming the parameter.
"""

from typing import Any

from django import forms
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import NullIf
from django_filters import rest_framework as filters

from config.api.ordering import SpacedOrderingFilter
from config.domain import INT32_MAX
from movies.models import Movie

# What a year parameter accepts: any year of four digits or fewer. Not FIRST_FILM_YEAR: asking
# for movies of 1500 is a valid question with an empty answer, not a bad request.
ANY_YEAR = {"min_value": 1, "max_value": 9999}
COUNT_MAX = INT32_MAX  # the largest value the counter column holds


class IntegerFilter(filters.NumberFilter):
    """A whole-number filter: `1.5` or `abc` are invalid, not rounded or ignored."""

    field_class = forms.IntegerField


def filter_by_genre(queryset: QuerySet[Movie], value: str) -> QuerySet[Movie]:
    """Movies in the genre named `value` (its name in any letter case, or its slug).

    An EXISTS subquery rather than a join, so a movie is never listed twice; an unknown genre
    matches nothing.
    """
    value = value.strip()
    in_genre = Movie.genres.through.objects.filter(movie_id=OuterRef("pk")).filter(
        Q(genre__name__iexact=value) | Q(genre__slug__iexact=value)
    )
    return queryset.filter(Exists(in_genre))


class MovieOrderingFilter(SpacedOrderingFilter):
    """Ordering where missing values (the statistics of unrated movies, an unknown year) come last
    in both directions, and `id` ends every ordering so that pages are stable."""

    nullable = frozenset({"year", "average", "weighted"})

    def get_ordering_value(self, param: str) -> Any:
        descending = param.startswith("-")
        field_name = self.param_map[param.lstrip("-")]
        if field_name == "ratings_count" and not descending:
            # An unrated movie has a count of 0, not a missing one: read 0 as missing so that
            # unrated movies come last this way too (descending puts them last already).
            return NullIf(F(field_name), Value(0)).asc(nulls_last=True)
        if field_name not in self.nullable:
            # Plain ordering on NOT NULL columns, so their indexes can serve it.
            return f"-{field_name}" if descending else field_name
        expression = F(field_name)
        return expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)

    def filter(self, qs: QuerySet[Movie], value: list[str] | None) -> QuerySet[Movie]:
        if not value:
            return qs
        return qs.order_by(*(self.get_ordering_value(param) for param in value if param), "id")


class MovieFilterSet(filters.FilterSet):
    """Filters for `GET /api/movies/`; the queryset must define the `average`/`weighted` aliases
    (`movies.selectors.with_rating_annotations`)."""

    search = filters.CharFilter(
        field_name="title", lookup_expr="icontains", help_text="Part of the title, in any letter case."
    )
    genre = filters.CharFilter(method="filter_genre", help_text="A genre name (any letter case) or slug.")
    year = IntegerFilter(field_name="year", **ANY_YEAR, help_text="Release year.")
    year_min = IntegerFilter(
        field_name="year",
        lookup_expr="gte",
        **ANY_YEAR,
        help_text="Released in or after.",
    )
    year_max = IntegerFilter(
        field_name="year",
        lookup_expr="lte",
        **ANY_YEAR,
        help_text="Released in or before.",
    )
    min_ratings = IntegerFilter(
        field_name="ratings_count",
        lookup_expr="gte",
        min_value=0,
        max_value=COUNT_MAX,
        help_text="Only movies with at least this many ratings.",
    )
    ordering = MovieOrderingFilter(
        fields=(
            ("title", "title"),
            ("year", "year"),
            ("average", "average_rating"),
            ("ratings_count", "ratings_count"),
            ("weighted", "weighted_rating"),
        ),
        help_text=(
            "Comma-separated fields, `-` for descending. Unrated movies come last either way; "
            "ties are broken by id. Default: `title`."
        ),
    )

    class Meta:
        model = Movie
        fields: list[str] = []

    def filter_genre(self, queryset: QuerySet[Movie], name: str, value: str) -> QuerySet[Movie]:
        return filter_by_genre(queryset, value)
