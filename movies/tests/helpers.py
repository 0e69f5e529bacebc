from django.core.cache import cache

from movies.selectors import GLOBAL_MEAN_CACHE_KEY

V2 = "application/json; version=2"


def forget_global_mean() -> None:
    """Drop the cached catalogue mean, as if its minute had passed."""
    cache.delete(GLOBAL_MEAN_CACHE_KEY)
