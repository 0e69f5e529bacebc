"""Representations of movies and genres, per API version, and the movie write body.

Version 1 shows a movie's statistics as top-level fields and its genres as names; version 2
groups the statistics in `rating: {average, count, weighted}` and shows genres as `{slug, name}`.
The class names differ per version so that each version's OpenAPI schema has its own components.

`weighted_rating` needs the catalogue-wide mean C: views pass it in the serializer context as
`global_mean` (read once per request); without it the cached value is read per movie.

The API's reads (list, detail, top) do not run these serializers: `movie_representation` below
writes the same dicts from `values()` rows (movies.selectors, "Rows"), without DRF's field
machinery; the serializers remain the schema (drf-spectacular) and serve the write responses.
`movies/tests/test_representations.py` holds the two to the same bytes.

Reusable elsewhere (the ratings app's PUT body): `MovieBriefSerializer` `{id, title, year}`,
`MovieStatsSummaryV1Serializer` `{id, title, year, average_rating, ratings_count}` and
`MovieStatsSummaryV2Serializer` `{id, title, year, rating: {average, count}}`.
"""

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.fields import StrictCharField
from config.domain import FIRST_FILM_YEAR, SCORE_MAX, SCORE_MIN
from movies.models import (
    IMDB_ID_MAX_LENGTH,
    TMDB_ID_MAX,
    TMDB_ID_MIN,
    Genre,
    Movie,
    round_half_up,
    tmdb_id_validators,
    validate_imdb_id,
    year_validators,
)
from movies.selectors import SCORE_KEYS, GenreRef, global_mean_rating, score_distribution, weighted_rating


def _rounded_decimal_field(**kwargs: Any) -> serializers.DecimalField:
    """A statistic as a JSON number with 2 decimals, null without ratings."""
    return serializers.DecimalField(
        max_digits=3,
        decimal_places=2,
        min_value=SCORE_MIN,  # documents the scale's range, not max_digits' -9.99..9.99
        max_value=SCORE_MAX,
        coerce_to_string=False,
        allow_null=True,
        read_only=True,
        **kwargs,
    )


DISTRIBUTION_SCHEMA = {
    "type": "object",
    "description": "How many ratings the movie has at each score; every score of the scale is present.",
    "properties": {key: {"type": "integer", "minimum": 0} for key in SCORE_KEYS},
    "required": list(SCORE_KEYS),
    "additionalProperties": False,
}


def _rounded_weighted_rating(context: Mapping[str, Any], movie: Movie) -> Decimal | None:
    """The movie's weighted rating rounded half-up, with C from the context (else from the cache)."""
    global_mean = context["global_mean"] if "global_mean" in context else global_mean_rating()
    value = weighted_rating(ratings_count=movie.ratings_count, ratings_sum=movie.ratings_sum, global_mean=global_mean)
    return None if value is None else round_half_up(value)


# --- Genres -----------------------------------------------------------------------------


class GenreSerializer(serializers.ModelSerializer):
    """A genre with how many movies it has (`GET /api/genres/`)."""

    movies_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Genre
        fields = ["slug", "name", "movies_count"]
        read_only_fields = ["slug"]


class GenreRefSerializer(serializers.ModelSerializer):
    """A genre inside a version 2 movie."""

    class Meta:
        model = Genre
        fields = ["slug", "name"]


# --- Brief and summary shapes (shared with the ratings app) ---------------------------------


class MovieBriefSerializer(serializers.ModelSerializer):
    """`{id, title, year}`: a movie named inside another resource."""

    class Meta:
        model = Movie
        fields = ["id", "title", "year"]


class MovieStatsSummaryV1Serializer(serializers.ModelSerializer):
    """`{id, title, year, average_rating, ratings_count}`: a movie and its current statistics (v1)."""

    average_rating = _rounded_decimal_field()

    class Meta:
        model = Movie
        fields = ["id", "title", "year", "average_rating", "ratings_count"]


class RatingStatisticsBriefV2Serializer(serializers.ModelSerializer):
    """`{average, count}`: a movie's statistics in version 2 where a brief movie carries them (the PUT body)."""

    average = _rounded_decimal_field(source="average_rating")
    count = serializers.IntegerField(source="ratings_count", read_only=True)

    class Meta:
        model = Movie
        fields = ["average", "count"]


class MovieStatsSummaryV2Serializer(serializers.ModelSerializer):
    """`{id, title, year, rating: {average, count}}`: a movie and its current statistics (v2)."""

    rating = RatingStatisticsBriefV2Serializer(source="*", read_only=True)

    class Meta:
        model = Movie
        fields = ["id", "title", "year", "rating"]


# --- Version 1 ----------------------------------------------------------------------------


class MovieV1Serializer(serializers.ModelSerializer):
    """A movie in version 1: statistics as top-level fields, genres as names."""

    genres: "serializers.SlugRelatedField[Genre]" = serializers.SlugRelatedField(
        slug_field="name", many=True, read_only=True
    )
    average_rating = _rounded_decimal_field()
    weighted_rating = serializers.SerializerMethodField()

    class Meta:
        model = Movie
        fields = [
            "id",
            "title",
            "year",
            "genres",
            "imdb_id",
            "tmdb_id",
            "average_rating",
            "ratings_count",
            "weighted_rating",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(_rounded_decimal_field())
    def get_weighted_rating(self, movie: Movie) -> Decimal | None:
        return _rounded_weighted_rating(self.context, movie)


class MovieDetailV1Serializer(MovieV1Serializer):
    """A movie in version 1 with its score distribution."""

    distribution = serializers.SerializerMethodField()

    class Meta(MovieV1Serializer.Meta):
        fields = [*MovieV1Serializer.Meta.fields, "distribution"]

    @extend_schema_field(DISTRIBUTION_SCHEMA)
    def get_distribution(self, movie: Movie) -> dict[str, int]:
        return score_distribution(movie)


# --- Version 2 ----------------------------------------------------------------------------


class RatingStatisticsV2Serializer(RatingStatisticsBriefV2Serializer):
    """`{average, count, weighted}`: a movie's statistics in version 2."""

    weighted = serializers.SerializerMethodField()

    class Meta(RatingStatisticsBriefV2Serializer.Meta):
        fields = ["average", "count", "weighted"]

    @extend_schema_field(_rounded_decimal_field())
    def get_weighted(self, movie: Movie) -> Decimal | None:
        return _rounded_weighted_rating(self.context, movie)


class RatingStatisticsDetailV2Serializer(RatingStatisticsV2Serializer):
    """`{average, count, weighted, distribution}`: a movie's statistics on its version 2 detail."""

    distribution = serializers.SerializerMethodField()

    class Meta(RatingStatisticsV2Serializer.Meta):
        fields = [*RatingStatisticsV2Serializer.Meta.fields, "distribution"]

    @extend_schema_field(DISTRIBUTION_SCHEMA)
    def get_distribution(self, movie: Movie) -> dict[str, int]:
        return score_distribution(movie)


class MovieV2Serializer(serializers.ModelSerializer):
    """A movie in version 2: statistics grouped in `rating`, genres as `{slug, name}`."""

    genres = GenreRefSerializer(many=True, read_only=True)
    rating = RatingStatisticsV2Serializer(source="*", read_only=True)

    class Meta:
        model = Movie
        fields = ["id", "title", "year", "genres", "imdb_id", "tmdb_id", "rating", "created_at", "updated_at"]


class MovieDetailV2Serializer(MovieV2Serializer):
    """A movie in version 2 with its score distribution inside `rating`."""

    rating = RatingStatisticsDetailV2Serializer(source="*", read_only=True)


# --- Writes -------------------------------------------------------------------------------


class MovieWriteSerializer(serializers.Serializer):
    """The body of `POST`/`PUT`/`PATCH /api/movies/`: genres are given by name or slug."""

    title = StrictCharField(max_length=Movie._meta.get_field("title").max_length)
    # The model's validators, so the API refuses exactly what the admin and the importer refuse.
    year = serializers.IntegerField(
        required=False,
        allow_null=True,
        validators=year_validators,
        help_text=f"From {FIRST_FILM_YEAR} to next year.",
    )
    genres = serializers.ListField(
        child=StrictCharField(max_length=64),
        required=False,
        help_text="Existing genres, each by name (any letter case) or slug.",
    )
    imdb_id = StrictCharField(
        max_length=IMDB_ID_MAX_LENGTH,
        required=False,
        allow_null=True,
        allow_blank=True,
        validators=[validate_imdb_id],
        help_text="`tt` and at least 7 digits, e.g. `tt0114814`; unique. Blank or null for none.",
    )
    tmdb_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        validators=tmdb_id_validators,
        help_text=f"From {TMDB_ID_MIN} to {TMDB_ID_MAX}; null for none.",
    )

    def validate_genres(self, values: list[str]) -> list[Genre]:
        """Resolve names and slugs, case-insensitively, in one query."""
        wanted = list(dict.fromkeys(value.strip().lower() for value in values))
        found = Genre.objects.annotate(lower_name=Lower("name"), lower_slug=Lower("slug")).filter(
            Q(lower_name__in=wanted) | Q(lower_slug__in=wanted)
        )
        genres: list[Any] = list(found)
        # A name wins over another genre's identical slug.
        by_key = {genre.lower_slug: genre for genre in genres} | {genre.lower_name: genre for genre in genres}
        unknown = [value for value in values if value.strip().lower() not in by_key]
        if unknown:
            names = ", ".join(repr(value) for value in unknown)
            raise serializers.ValidationError(
                f"Unknown genre {names}. Use an existing genre's name or slug (see GET /api/genres/), "
                "or create it first with POST /api/genres/."
            )
        return list(dict.fromkeys(by_key[key] for key in wanted))

    def validate_imdb_id(self, imdb_id: str | None) -> str | None:
        if not imdb_id:
            return None
        taken = Movie.objects.filter(imdb_id=imdb_id)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError(f"Another movie already has the IMDb id {imdb_id}.")
        return imdb_id


# --- Reads from rows ------------------------------------------------------------------------


def datetime_text(value: datetime.datetime, zone: datetime.tzinfo) -> str:
    """What DRF's DateTimeField shows for an aware datetime: ISO 8601 in the current time zone,
    `Z` for UTC."""
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def movie_representation(
    row: Mapping[str, Any], *, version: str, global_mean: Decimal | None, zone: datetime.tzinfo | None = None
) -> dict[str, Any]:
    """A movie row (`movies.selectors.shown_rows`) as `MovieV1Serializer` or `MovieV2Serializer`
    show the movie, or their detail versions where the row has a `distribution`: the same keys
    in the same order, the same JSON (statistics rounded half-up to 2 places and given as the
    floats DRF's renderer turns those Decimals into, datetimes as DRF's field writes them).
    `zone` is the current time zone (a caller showing many rows reads it once: a lookup costs
    more than the rest of a datetime's text)."""
    count, total = row["ratings_count"], row["ratings_sum"]
    average = float(round_half_up(Decimal(total) / count)) if count else None
    weighted_value = weighted_rating(ratings_count=count, ratings_sum=total, global_mean=global_mean)
    weighted = None if weighted_value is None else float(round_half_up(weighted_value))
    if zone is None:
        zone = timezone.get_current_timezone()
    genres: list[GenreRef] = row["genres"]
    distribution = row.get("distribution")
    head = {"id": row["id"], "title": row["title"], "year": row["year"]}
    ids = {"imdb_id": row["imdb_id"], "tmdb_id": row["tmdb_id"]}
    times = {
        "created_at": datetime_text(row["created_at"], zone),
        "updated_at": datetime_text(row["updated_at"], zone),
    }
    if version == "1":
        shown = {
            **head,
            "genres": [name for _slug, name in genres],
            **ids,
            "average_rating": average,
            "ratings_count": count,
            "weighted_rating": weighted,
            **times,
        }
        if distribution is not None:
            shown["distribution"] = distribution
        return shown
    rating: dict[str, Any] = {"average": average, "count": count, "weighted": weighted}
    if distribution is not None:
        rating["distribution"] = distribution
    return {
        **head,
        "genres": [{"slug": slug, "name": name} for slug, name in genres],
        **ids,
        "rating": rating,
        **times,
    }
