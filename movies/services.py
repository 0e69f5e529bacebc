"""Writes to the catalogue, each in one transaction.

Inputs are already validated (types, ranges, genres resolved to objects); these functions keep
the rules the database alone decides, such as a unique IMDb id taken by a concurrent write, and
raise Django's ValidationError naming the field, which config/api/errors.py renders as a 400.
Caches are invalidated by `movies.signals`. Statistics are never touched here: only rating
writes change them.
"""

from collections.abc import Iterable
from typing import TypedDict, Unpack

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils.text import slugify

from movies.models import CURATOR_PERMISSIONS, CURATORS_GROUP, Genre, Movie


class MovieChanges(TypedDict, total=False):
    """The fields `movie_update` may change; a field left out stays as it is."""

    title: str
    year: int | None
    genres: Iterable[Genre]
    imdb_id: str | None
    tmdb_id: int | None


def _imdb_id_taken(imdb_id: str) -> ValidationError:
    return ValidationError({"imdb_id": [f"Another movie already has the IMDb id {imdb_id}."]})


def _save_movie(movie: Movie, genres: Iterable[Genre] | None, update_fields: list[str] | None = None) -> None:
    """Save the movie (and its genres) atomically; a unique IMDb id lost to a race is a 400."""
    try:
        with transaction.atomic():
            movie.save(update_fields=update_fields)
            if genres is not None:
                movie.genres.set(genres)
    except IntegrityError:
        if movie.imdb_id and Movie.objects.filter(imdb_id=movie.imdb_id).exclude(pk=movie.pk).exists():
            raise _imdb_id_taken(movie.imdb_id) from None
        raise


def movie_create(
    *,
    title: str,
    year: int | None = None,
    genres: Iterable[Genre] = (),
    imdb_id: str | None = None,
    tmdb_id: int | None = None,
) -> Movie:
    """Add a movie to the catalogue, with no ratings yet."""
    movie = Movie(title=title, year=year, imdb_id=imdb_id or None, tmdb_id=tmdb_id)
    _save_movie(movie, genres)
    return movie


def movie_update(*, movie: Movie, **changes: Unpack[MovieChanges]) -> Movie:
    """Change the given fields of a movie (and its genres, when given); its statistics stay."""
    genres = changes.pop("genres", None)
    if "imdb_id" in changes:
        changes["imdb_id"] = changes["imdb_id"] or None
    for field, value in changes.items():
        setattr(movie, field, value)
    # Only the changed columns: the counters may have moved since the movie was read.
    _save_movie(movie, genres, update_fields=[*changes, "updated_at"])
    return movie


def movie_delete(*, movie: Movie) -> None:
    """Remove a movie from the catalogue; its ratings go with it (cascade)."""
    with transaction.atomic():
        movie.delete()


def _genre_name_problem(name: str, slug: str) -> str | None:
    """Why a genre cannot take this name, or None when it can."""
    if not slug:
        return "Give a name with at least one letter or digit."
    if Genre.objects.annotate(lower_name=Lower("name")).filter(lower_name=name.lower()).exists():
        return f"The genre {name!r} exists already."
    if Genre.objects.filter(slug=slug).exists():
        return f"The name {name!r} gives the slug {slug!r}, which another genre has."
    return None


def genre_create(*, name: str) -> Genre:
    """Add a genre. Its slug is made from the name; neither may be taken (whatever the case)."""
    name = name.strip()
    slug = slugify(name)
    if problem := _genre_name_problem(name, slug):
        raise ValidationError({"name": [problem]})
    try:
        with transaction.atomic():
            return Genre.objects.create(name=name, slug=slug)
    except IntegrityError:
        # Taken by a concurrent request since the check above.
        raise ValidationError({"name": [f"The genre {name!r} exists already."]}) from None


def curators_group_ensure() -> Group:
    """The `Curators` group with exactly the curating permissions, as migration 0004 made it;
    recreated if it was deleted (or flushed, as transactional tests do)."""
    with transaction.atomic():
        group, created = Group.objects.get_or_create(name=CURATORS_GROUP)
        if created:
            group.permissions.set(
                Permission.objects.filter(content_type__app_label="movies", codename__in=CURATOR_PERMISSIONS)
            )
    return group
