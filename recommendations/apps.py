from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    """Similar movies and personal recommendations from an item-to-item model built in the background."""

    name = "recommendations"
    verbose_name = "Recommendations"
