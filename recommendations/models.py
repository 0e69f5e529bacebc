"""The similar-movie model: one row per build, and each movie's top neighbours under that build.

A build writes its neighbour rows under a new, inactive `SimilarityModel`; one transaction then
makes it the active one and the previous one inactive (`services.similarity_model_activate`), so
readers see either the old model or the new one, never a half-written one. Reads join on
`model__is_active`, so serving a movie's neighbours is one query on the (movie, model, rank) index,
and a user's candidates one query on the (neighbour, model, rank) index.
"""

from django.db import models
from django.db.models import Q

from movies.models import Movie


class SimilarityModel(models.Model):
    """One build of the item-to-item model: its parameters, its size and how long it took.

    At most one is active (a partial unique constraint); the others are builds in progress,
    failed builds, or the previous model waiting to be deleted.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=False)
    ratings_count = models.PositiveIntegerField(default=0)
    movies_count = models.PositiveIntegerField(default=0, help_text="movies with at least one neighbour")
    pairs_count = models.PositiveIntegerField(default=0, help_text="neighbour rows stored")
    build_seconds = models.FloatField(default=0)
    parameters = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="recommendations_one_active_model"
            ),
        ]

    def __str__(self) -> str:
        state = "active" if self.is_active else "inactive"
        return f"similarity model {self.pk} ({state}, {self.pairs_count} pairs)"


class MovieSimilarity(models.Model):
    """`neighbour` is the `rank`-th most similar movie to `movie` under `model` (rank 1 is the best)."""

    model = models.ForeignKey(SimilarityModel, on_delete=models.CASCADE, related_name="similarities")
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="+")
    neighbour = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()
    similarity = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["movie", "model", "rank"], name="recommendations_one_neighbour_per_rank"),
            models.CheckConstraint(
                condition=Q(similarity__gt=0) & Q(similarity__lte=1), name="recommendations_similarity_in_range"
            ),
            models.CheckConstraint(condition=~Q(movie=models.F("neighbour")), name="recommendations_not_itself"),
        ]
        indexes = [
            # Recommendations read the rows naming a user's rated movies as neighbours (and deleting
            # a movie finds its rows by it).
            models.Index(fields=["neighbour", "model", "rank"], name="recommendations_neighbour_idx"),
            models.Index(fields=["model"], name="recommendations_model_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.neighbour_id} is #{self.rank} like {self.movie_id} ({self.similarity:.3f})"
