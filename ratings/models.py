"""Ratings: how entertaining one user found one movie."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from config.domain import SCORES
from movies.models import Movie

REVIEW_MAX_LENGTH = 2000


class Rating(models.Model):
    """One user's score (and optional review) for one movie; at most one per pair.

    `rated_at` is when the user first rated the movie, `updated_at` moves with every change.
    Writes go through `ratings.services` so the movie's and user's statistics stay exact.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings")
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="ratings")
    score = models.DecimalField(max_digits=2, decimal_places=1)
    review = models.TextField(blank=True, default="", max_length=REVIEW_MAX_LENGTH)
    rated_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "movie"], name="ratings_rating_one_per_user_and_movie"),
            models.CheckConstraint(condition=models.Q(score__in=SCORES), name="ratings_rating_score_on_scale"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("review"), REVIEW_MAX_LENGTH), name="ratings_rating_review_length"
            ),
        ]
        indexes = [
            models.Index(fields=["movie", "-updated_at"], name="ratings_movie_updated_idx"),
            models.Index(fields=["user", "-updated_at"], name="ratings_user_updated_idx"),
            # Serves a movie's score distribution from the index alone.
            models.Index(fields=["movie", "score"], name="ratings_movie_score_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} rated {self.movie}: {self.score}"
