"""Cache invalidation for the catalogue: every change drops exactly the cached responses that show it.

Invalidation runs after the transaction commits (`invalidate_on_commit`). Fixture loads (`raw`)
are skipped.
"""

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from config.cache import ALL, GENRES, MOVIE_LISTS, invalidate_on_commit, movie_tag
from movies.models import Genre, Movie


@receiver(post_save, sender=Movie, dispatch_uid="movies.movie_saved")
def movie_saved(sender: type[Movie], instance: Movie, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    # The genre list counts movies: only a new movie changes it, not an edited one.
    tags = [GENRES] if created else []
    invalidate_on_commit(movie_tag(instance.pk), MOVIE_LISTS, *tags)


@receiver(post_delete, sender=Movie, dispatch_uid="movies.movie_deleted")
def movie_deleted(sender: type[Movie], instance: Movie, **kwargs: Any) -> None:
    invalidate_on_commit(movie_tag(instance.pk), MOVIE_LISTS, GENRES)


@receiver(m2m_changed, sender=Movie.genres.through, dispatch_uid="movies.movie_genres_changed")
def movie_genres_changed(
    sender: Any, instance: Movie | Genre, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if not action.startswith("post_"):
        return
    if not reverse:
        movie_tags = [movie_tag(instance.pk)]
    elif pk_set is not None:
        movie_tags = [movie_tag(pk) for pk in pk_set]
    else:
        # A genre's movies were all removed: which ones is no longer known, so drop everything.
        movie_tags = [ALL]
    invalidate_on_commit(*movie_tags, MOVIE_LISTS, GENRES)


@receiver(post_save, sender=Genre, dispatch_uid="movies.genre_saved")
def genre_saved(sender: type[Genre], instance: Genre, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    # A renamed genre shows on every movie in it, possibly many: drop everything.
    invalidate_on_commit(GENRES if created else ALL)


@receiver(post_delete, sender=Genre, dispatch_uid="movies.genre_deleted")
def genre_deleted(sender: type[Genre], instance: Genre, **kwargs: Any) -> None:
    invalidate_on_commit(ALL)
