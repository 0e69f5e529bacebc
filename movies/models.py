"""The catalogue: movies and the genres they belong to."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.db.models.functions import Lower

TWO_PLACES = Decimal("0.01")


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
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    genres = models.ManyToManyField(Genre, related_name="movies", blank=True)
    imdb_id = models.CharField("IMDb id", max_length=16, null=True, blank=True, unique=True)
    tmdb_id = models.PositiveIntegerField("TMDB id", null=True, blank=True)
    movielens_id = models.PositiveIntegerField("MovieLens id", null=True, blank=True, unique=True)
    ratings_count = models.PositiveIntegerField(default=0, editable=False)
    ratings_sum = models.DecimalField(max_digits=12, decimal_places=1, default=Decimal(0), editable=False)
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
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title

    @property
    def average_rating(self) -> Decimal | None:
        """The exact mean score rounded half-up to 2 decimals; None without ratings."""
        if not self.ratings_count:
            return None
        return round_half_up(Decimal(self.ratings_sum) / self.ratings_count)
