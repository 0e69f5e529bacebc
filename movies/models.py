"""The catalogue: movies and the genres they belong to.

The rules for a movie's fields live here, once, as model field validators: the admin's forms,
the API's write serializer and the MovieLens importer all apply them, and database check
constraints hold the ranges for any other path (docs/movies.md, "Field rules").
"""

import datetime
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.deconstruct import deconstructible
from django.utils.functional import lazy

from config.domain import FIRST_FILM_YEAR, INT32_MAX

TWO_PLACES = Decimal("0.01")

# A year runs from config.domain's FIRST_FILM_YEAR to next year. YEAR_DB_MAX is the database's
# static upper bound, a storage rule of this table: the real bound, next year, moves every January,
# so it is checked by `YearNotAfterNextYearValidator`; the constraint only refuses what no calendar
# will make valid for generations (a mistyped 2500), whatever path wrote it.
YEAR_DB_MAX = 2200
IMDB_ID_PATTERN = r"^tt\d{7,}$"
IMDB_ID_MAX_LENGTH = 16
TMDB_ID_MIN, TMDB_ID_MAX = 1, INT32_MAX  # a 32-bit column

# The group that curates the catalogue (created by migration movies 0004), and what it may do.
CURATORS_GROUP = "Curators"
CURATOR_PERMISSIONS = tuple(
    f"{action}_{model}" for model in ("movie", "genre") for action in ("view", "add", "change", "delete")
)


def last_valid_year() -> int:
    """The latest release year a movie may have: next year (films are announced ahead)."""
    return datetime.date.today().year + 1


def year_message() -> str:
    return f"Give a year from {FIRST_FILM_YEAR} to {last_valid_year()}."


# Rendered when the error is shown, so "next year" is never stale in a long-running process.
_year_message = lazy(year_message, str)()


@deconstructible(path="movies.models.YearNotBeforeValidator")
class YearNotBeforeValidator(MinValueValidator):
    """Not before FIRST_FILM_YEAR: code `min_value`, the range in the message."""

    def __init__(self) -> None:
        super().__init__(FIRST_FILM_YEAR, message=_year_message)


@deconstructible(path="movies.models.YearNotAfterNextYearValidator")
class YearNotAfterNextYearValidator:
    """Not after next year, read from today's date at each check: code `max_value`.

    Not a MaxValueValidator: DRF and drf-spectacular would copy its limit into fields and the
    schema as a fixed number, and migrations would see it change every January.
    """

    def __call__(self, value: int | None) -> None:
        if value is not None and value > last_valid_year():
            raise ValidationError(_year_message, code="max_value", params={"value": value})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, YearNotAfterNextYearValidator)

    def __hash__(self) -> int:
        return hash(YearNotAfterNextYearValidator)


year_validators: list[Callable[[Any], None]] = [YearNotBeforeValidator(), YearNotAfterNextYearValidator()]


def validate_year(value: int | None) -> None:
    """Run the year's validators (for code that checks a bare value, such as the importer)."""
    if value is not None:
        for validator in year_validators:
            validator(value)


validate_imdb_id = RegexValidator(
    IMDB_ID_PATTERN, message="An IMDb id is `tt` and at least 7 digits, e.g. tt0114814.", code="invalid"
)
TMDB_ID_MESSAGE = f"A TMDB id is a whole number from {TMDB_ID_MIN} to {TMDB_ID_MAX}."
tmdb_id_validators = [
    MinValueValidator(TMDB_ID_MIN, message=TMDB_ID_MESSAGE),
    MaxValueValidator(TMDB_ID_MAX, message=TMDB_ID_MESSAGE),
]


def round_half_up(value: Decimal) -> Decimal:
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


class Genre(models.Model):
    """A genre, created by staff; names are unique whatever their letter case."""

    name = models.CharField(max_length=64)
    slug = models.SlugField(max_length=64, unique=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="movies_genre_name_ci_unique")]

    def __str__(self) -> str:
        return self.name


class Movie(models.Model):
    """A movie in the catalogue.

    `ratings_count` and `ratings_sum` are kept exact by the ratings service in the same
    transaction as every rating write, so reading a movie never aggregates the ratings table.
    """

    title = models.CharField(max_length=500)
    year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=year_validators, help_text=f"From {FIRST_FILM_YEAR} to next year."
    )
    genres = models.ManyToManyField(Genre, related_name="movies", blank=True)
    imdb_id = models.CharField(
        "IMDb id",
        max_length=IMDB_ID_MAX_LENGTH,
        null=True,
        blank=True,
        unique=True,
        validators=[validate_imdb_id],
        help_text="`tt` and at least 7 digits, e.g. tt0114814.",
    )
    tmdb_id = models.PositiveIntegerField("TMDB id", null=True, blank=True, validators=tmdb_id_validators)
    movielens_id = models.PositiveIntegerField("MovieLens id", null=True, blank=True, unique=True)
    ratings_count = models.PositiveIntegerField(default=0, editable=False)
    ratings_sum = models.DecimalField(max_digits=12, decimal_places=1, default=Decimal(0), editable=False)
    # The exact weighted rating with the stored C (`CatalogueMean`), NULL without ratings: on
    # PostgreSQL a trigger sets it whenever the counters change, `selectors.refresh_catalogue_mean`
    # rewrites it when C moves. It exists to be indexed, so that top reads `limit` rows: the index
    # (movies_movie_weighted_idx, in top's order, NULLS LAST) is PostgreSQL's, made by migration 0005.
    weighted_rating = models.DecimalField(max_digits=40, decimal_places=30, null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]
        indexes = [
            models.Index(fields=["title", "id"], name="movies_movie_title_idx"),
            models.Index(fields=["year"], name="movies_movie_year_idx"),
            models.Index(fields=["ratings_count"], name="movies_movie_count_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ratings_sum__gte=0) & models.Q(ratings_sum__lte=models.F("ratings_count") * 5),
                name="movies_movie_ratings_sum_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(tmdb_id__isnull=True) | models.Q(tmdb_id__gte=1),
                name="movies_movie_tmdb_id_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(tmdb_id__isnull=True) | models.Q(tmdb_id__lte=TMDB_ID_MAX),
                name="movies_movie_tmdb_id_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(year__isnull=True) | models.Q(year__gte=FIRST_FILM_YEAR, year__lte=YEAR_DB_MAX),
                name="movies_movie_year_in_range",
            ),
        ]

    def __str__(self) -> str:
        # A title that already ends with its year (typed the MovieLens way) is not shown twice.
        if not self.year or self.title.endswith(f"({self.year})"):
            return self.title
        return f"{self.title} ({self.year})"

    @property
    def average_rating(self) -> Decimal | None:
        """The exact mean score rounded half-up to 2 decimals; None without ratings."""
        if not self.ratings_count:
            return None
        return round_half_up(Decimal(self.ratings_sum) / self.ratings_count)


class CatalogueMean(models.Model):
    """C, the mean of every rating, as last computed (one row): what the stored weighted ratings use.

    `prior` is the `RATING_PRIOR` the stored values were computed with; `mean` is None while there
    are no ratings (then a movie's weighted rating is its own mean).
    """

    mean = models.DecimalField(max_digits=40, decimal_places=30, null=True)
    prior = models.PositiveIntegerField()
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"C = {self.mean} (m = {self.prior}, {self.computed_at:%Y-%m-%d %H:%M:%S})"
