"""Rating representations and the validation of rating writes."""

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.fields import StrictCharField
from config.domain import SCORE_MAX, SCORE_MIN, SCORE_STEP
from movies.models import round_half_up
from movies.serializers import (
    MovieBriefSerializer,
    MovieStatsSummaryV1Serializer,
    MovieStatsSummaryV2Serializer,
    datetime_text,
)
from ratings.models import REVIEW_MAX_LENGTH, SCORES, Rating

SCORE_HELP = 'Stars from 0.5 to 5.0 in half steps: 4, 4.0 and "4.5" are accepted.'


SCORE_SCHEMA = {
    "oneOf": [
        {"type": "number", "minimum": float(SCORE_MIN), "maximum": float(SCORE_MAX), "multipleOf": float(SCORE_STEP)},
        {"type": "string", "enum": sorted({str(score) for score in SCORES} | {f"{score:.1f}" for score in SCORES})},
    ],
    "description": SCORE_HELP,
}


@extend_schema_field(SCORE_SCHEMA)
class ScoreField(serializers.Field):
    """A score on MovieLens' scale: a number (or numeric string) from 0.5 to 5.0 in half steps.

    Booleans, nulls, other strings and values off the scale (0, 5.5, 4.25) are rejected.
    """

    default_error_messages = {
        "invalid": "A score must be a number from 0.5 to 5.0 in half steps, such as 3.5.",
        "off_scale": "A score must be one of 0.5, 1.0, 1.5, ... 5.0 (half stars); {value} is not.",
    }

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool) or not isinstance(data, int | float | str):
            self.fail("invalid")
        try:
            value = Decimal(str(data).strip())
        except InvalidOperation:
            self.fail("invalid")
        if not value.is_finite():
            self.fail("invalid")
        if value not in SCORES:
            self.fail("off_scale", value=data)
        return value.quantize(Decimal("0.1"))

    def to_representation(self, value: Decimal) -> Decimal:
        return value


class RatingWriteSerializer(serializers.Serializer):
    """The body of `PUT /api/movies/{id}/rating/`: a full replacement of the caller's rating."""

    score = ScoreField(help_text=SCORE_HELP)
    review = StrictCharField(
        default="",
        allow_blank=True,
        allow_null=True,
        max_length=REVIEW_MAX_LENGTH,
        trim_whitespace=False,
        help_text=f"Optional text of at most {REVIEW_MAX_LENGTH} characters; null or omitted means none.",
    )

    def validate_review(self, value: str | None) -> str:
        return value or ""


def _accepted_score_values() -> dict[int | float | str, Decimal]:
    """The JSON values a client sends for each score in practice (3.5, 4, 4.0, "3.5", "4", "4.0"),
    each with what `ScoreField` makes of it (asked of the field itself, so the two cannot disagree)."""
    field = ScoreField()
    accepted: dict[int | float | str, Decimal] = {}
    for score in SCORES:
        texts = {str(score), f"{score:.1f}"}
        numbers = {float(score), *([int(score)] if score == int(score) else [])}
        values: list[int | float | str] = [*texts, *numbers]
        for value in values:
            accepted[value] = field.to_internal_value(value)
    return accepted


_SCORE_VALUES = _accepted_score_values()
# What DRF's CharField refuses in a review besides its length: NUL and lone surrogates.
_REFUSED_IN_TEXT = re.compile("[\x00\ud800-\udfff]")


def plain_rating_write(data: Any) -> dict[str, Any] | None:
    """`RatingWriteSerializer`'s validated data for the bodies clients send (a JSON object of a
    score as above and an optional review, text, null or absent), without building the
    serializer's fields; None for anything else, which the serializer then judges (its errors,
    every one of them, are the API's 400s). Never accepts a body the serializer refuses, nor
    validates one differently (`ratings/tests/test_rating_write_validation.py`)."""
    if type(data) is not dict or not data.keys() <= {"score", "review"}:
        return None
    score: Any = data.get("score")
    if type(score) not in (int, float, str):  # never bool: True == 1 would find the score 1.0
        return None
    value = _SCORE_VALUES.get(score)
    review = data.get("review", "")
    if review is None:
        review = ""
    elif type(review) is not str or len(review) > REVIEW_MAX_LENGTH or _REFUSED_IN_TEXT.search(review):
        return None
    if value is None:
        return None
    return {"score": value, "review": review}


class RatedMovieSerializer(serializers.ModelSerializer):
    """An item of a user's rated-movies list (the same in both versions)."""

    movie = MovieBriefSerializer(read_only=True)
    score = serializers.DecimalField(
        max_digits=2, decimal_places=1, min_value=SCORE_MIN, max_value=SCORE_MAX, read_only=True
    )

    class Meta:
        model = Rating
        fields = ["movie", "score", "review", "rated_at", "updated_at"]


# The columns of a rated-movies item; `rated_movie_representation` shows a row of them as
# `RatedMovieSerializer` shows the rating, without DRF's field machinery (the lists' read path).
RATED_MOVIE_COLUMNS = ("movie_id", "movie__title", "movie__year", "score", "review", "rated_at", "updated_at")


def rated_movie_representation(row: dict[str, Any], zone: datetime.tzinfo) -> dict[str, Any]:
    """A row of `RATED_MOVIE_COLUMNS` as `RatedMovieSerializer` shows it: the same keys in the same
    order and the same JSON (the score as the float DRF's renderer makes of the Decimal, the times
    as DRF's field writes them in `zone`, the current time zone)."""
    return {
        "movie": {"id": row["movie_id"], "title": row["movie__title"], "year": row["movie__year"]},
        "score": float(row["score"]),
        "review": row["review"],
        "rated_at": datetime_text(row["rated_at"], zone),
        "updated_at": datetime_text(row["updated_at"], zone),
    }


class OwnRatingV1Serializer(RatedMovieSerializer):
    """The caller's rating of one movie, with the movie's current statistics (version 1)."""

    # The schema of the own-rating responses (the docstring is the schema's description); the
    # views write the responses with `own_rating_representation`, byte for byte the same.
    movie = MovieStatsSummaryV1Serializer(read_only=True)  # type: ignore[assignment]


class OwnRatingV2Serializer(RatedMovieSerializer):
    """The caller's rating of one movie, with the movie's current statistics (version 2)."""

    # The schema of the own-rating responses (the docstring is the schema's description); the
    # views write the responses with `own_rating_representation`, byte for byte the same.
    movie = MovieStatsSummaryV2Serializer(read_only=True)  # type: ignore[assignment]


# The columns of the caller's own rating of a movie, with the movie's statistics; `rating_put`
# returns a row of them too. `own_rating_representation` shows a row as `OwnRatingV1Serializer`
# or `OwnRatingV2Serializer` shows the rating (the GET's and the PUT's responses).
OWN_RATING_COLUMNS = (
    "movie_id",
    "movie__title",
    "movie__year",
    "movie__ratings_count",
    "movie__ratings_sum",
    "score",
    "review",
    "rated_at",
    "updated_at",
)


def own_rating_representation(row: dict[str, Any], *, version: str, zone: datetime.tzinfo) -> dict[str, Any]:
    """A row of `OWN_RATING_COLUMNS` as this version's own-rating serializer shows it, without
    DRF's field machinery: the same keys in the same order and the same JSON (the average rounded
    half-up to 2 places, numbers as the floats DRF's renderer makes of the Decimals, times as
    DRF's field writes them in `zone`, the current time zone). `ratings/tests/test_own_rating_bytes.py`
    holds the two to the same bytes."""
    count = row["movie__ratings_count"]
    average = float(round_half_up(Decimal(row["movie__ratings_sum"]) / count)) if count else None
    movie: dict[str, Any] = {"id": row["movie_id"], "title": row["movie__title"], "year": row["movie__year"]}
    if version == "1":
        movie["average_rating"] = average
        movie["ratings_count"] = count
    else:
        movie["rating"] = {"average": average, "count": count}
    return {
        "movie": movie,
        "score": float(row["score"]),
        "review": row["review"],
        "rated_at": datetime_text(row["rated_at"], zone),
        "updated_at": datetime_text(row["updated_at"], zone),
    }


class MovieRatingSerializer(serializers.ModelSerializer):
    """An item of a movie's ratings list: who rated it and how."""

    user = serializers.CharField(source="user.username", read_only=True)
    score = serializers.DecimalField(
        max_digits=2, decimal_places=1, min_value=SCORE_MIN, max_value=SCORE_MAX, read_only=True
    )

    class Meta:
        model = Rating
        fields = ["user", "score", "review", "rated_at", "updated_at"]


class ExportedRatingSerializer(serializers.Serializer):
    """One rating in an export (SPEC section 13): documentation of the JSON export's items."""

    movie_id = serializers.IntegerField()
    title = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    imdb_id = serializers.CharField(allow_null=True)
    tmdb_id = serializers.IntegerField(allow_null=True)
    score = serializers.FloatField(help_text="Stars from 0.5 to 5.0 in half steps.")
    review = serializers.CharField(allow_blank=True)
    rated_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class RatingsImportRequestSerializer(serializers.Serializer):
    """The multipart body of a ratings import."""

    file = serializers.FileField(
        help_text="A CSV file of at most 5 MiB: this service's export, Letterboxd's ratings.csv "
        "or IMDb's ratings export."
    )


class UnmatchedRowSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="The file line (the header is line 1).")
    title = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()


class InvalidRowSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="The file line (the header is line 1).")
    reason = serializers.CharField()


class RatingsImportReportSerializer(serializers.Serializer):
    """What an import did (or, with `dry_run`, would do): every data row is counted exactly once."""

    format = serializers.ChoiceField(choices=["own", "letterboxd", "imdb"])
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    unmatched = UnmatchedRowSerializer(many=True)
    invalid = InvalidRowSerializer(many=True)
