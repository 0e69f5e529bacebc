"""Genres needed by imported or generated movies, created when missing."""

from collections.abc import Iterable

from django.utils.text import slugify

from movielens.summary import Tally
from movies.models import Genre


def genres_ensure(names: Iterable[str]) -> tuple[dict[str, int], Tally]:
    """The id of each named genre by lower-cased name, creating the missing ones; and what was created.

    A name matches an existing genre whatever its letter case, or by slug ("Sci Fi" is the
    genre "Sci-Fi"); existing genres are never renamed.
    """
    ids: dict[str, int] = {}
    by_slug: dict[str, int] = {}
    for pk, name, slug in Genre.objects.values_list("pk", "name", "slug"):
        ids[name.lower()] = pk
        by_slug[slug] = pk
    tally = Tally()
    wanted: set[str] = set()
    new: dict[str, Genre] = {}
    for name in names:
        key = name.lower()
        if key in wanted:
            continue
        wanted.add(key)
        slug = slugify(name)
        if key in ids or slug in by_slug:
            tally.unchanged += 1
        elif slug not in new:
            new[slug] = Genre(name=name, slug=slug)
    for genre in Genre.objects.bulk_create(new.values()):
        by_slug[genre.slug] = genre.pk
    tally.created = len(new)
    # slugify lower-cases, so a lower-cased name gives the genre's slug.
    return {key: ids[key] if key in ids else by_slug[slugify(key)] for key in wanted}, tally
