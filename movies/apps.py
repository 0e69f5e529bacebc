from django.apps import AppConfig


class MoviesConfig(AppConfig):
    """The catalogue: movies, genres, browsing and curation."""

    name = "movies"
    verbose_name = "Movie catalogue"

    def ready(self) -> None:
        from movies import signals  # noqa: F401  (connects the cache-invalidation receivers)
