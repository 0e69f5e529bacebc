"""Filters and ordering shared by every ratings list (a user's rated movies, a movie's ratings)."""

from decimal import Decimal

from django import forms
from django.db.models import QuerySet
from django_filters import rest_framework as filters

from config.api.ordering import SpacedOrderingFilter
from config.domain import SCORE_MAX, SCORE_MIN, SCORE_STEP
from ratings.models import SCORES, Rating


class ScoreFormField(forms.DecimalField):
    def clean(self, value: object) -> Decimal | None:
        score = super().clean(value)
        if score is not None and score not in SCORES:
            raise forms.ValidationError("Use a score from 0.5 to 5.0 in half steps, such as 3.5.", code="off_scale")
        return score


class ScoreFilter(filters.NumberFilter):
    """A score on the half-star scale; anything else is a 400 naming the parameter."""

    field_class = ScoreFormField
    schema_extra = {"minimum": float(SCORE_MIN), "maximum": float(SCORE_MAX), "multipleOf": float(SCORE_STEP)}


class RatingFilter(filters.FilterSet):
    score = ScoreFilter(field_name="score", help_text="Only ratings with exactly this score.")
    min_score = ScoreFilter(field_name="score", lookup_expr="gte", help_text="Only ratings of at least this.")
    ordering = SpacedOrderingFilter(
        fields=("rated_at", "updated_at", "score", ("movie__title", "movie__title")),
        field_labels={"movie__title": "Movie title"},
        help_text="Sort by rated_at, updated_at, score or movie__title; prefix with - for descending. "
        "Default: -updated_at.",
    )

    class Meta:
        model = Rating
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[Rating]) -> QuerySet[Rating]:
        queryset = super().filter_queryset(queryset)
        # A stable order whatever the client asked: ties by most recent id.
        ordering = self.form.cleaned_data.get("ordering") or ["-updated_at"]
        return queryset.order_by(*ordering, "-id")
