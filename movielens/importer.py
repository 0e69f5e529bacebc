"""Importing a MovieLens release: the rules of SPEC section 9, in one transaction.

The release's files are parsed in Python (`parsing`), then written by a loader: set-based SQL
over COPY-filled temporary tables on PostgreSQL (`loaders.postgres`), batched ORM writes elsewhere
(`loaders.orm`). Both write only what differs from the source, so an import is idempotent. Statistics
are recomputed from the rating rows at the end, and every cached response is dropped once the
transaction commits.
"""

import time
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from config.cache import ALL, invalidate_on_commit
from movielens.genres import genres_ensure
from movielens.loaders import loader_for
from movielens.parsing import (
    LINKS_CSV,
    MOVIES_CSV,
    RATINGS_CSV,
    TAGS_CSV,
    BadRow,
    BadRowKind,
    BadRows,
    LinkRow,
    read_links,
    read_movies,
    read_ratings,
)
from movielens.progress import Progress
from movielens.release import ImportFailed, open_release
from movielens.summary import ImportSummary
from movies.models import Movie
from ratings.services import statistics_recompute


def movielens_import(
    source: str,
    *,
    progress: Progress | None = None,
    on_bad_row: Callable[[BadRow], object] = lambda row: None,
    allow_http: bool = False,
    max_download_bytes: int | None = None,
) -> ImportSummary:
    """Import the release at `source` (folder, .zip or https URL); `on_bad_row` hears of each skipped row.

    Raises ImportFailed, having written nothing, when the source holds no usable movie.
    """
    started = time.monotonic()
    progress = progress or Progress()
    bad = BadRows(on_bad_row)
    with open_release(source, progress, allow_http=allow_http, max_download_bytes=max_download_bytes) as release:
        summary = ImportSummary(source=release.name)
        with release.open(MOVIES_CSV) as stream:
            movies = read_movies(progress.counting(stream, MOVIES_CSV), bad)
        if not movies:
            raise ImportFailed(f"{MOVIES_CSV} in {release.name} has no usable row: nothing to import")
        links: dict[int, LinkRow] = {}
        if LINKS_CSV in release:
            with release.open(LINKS_CSV) as stream:
                links = read_links(progress.counting(stream, LINKS_CSV), movies, bad)
        summary.missing_files = [name for name in (LINKS_CSV, RATINGS_CSV) if name not in release]
        summary.ignored_files = [TAGS_CSV] if TAGS_CSV in release else []

        now = timezone.now()
        loader = loader_for(progress, now)
        with transaction.atomic():
            _drop_links_to_taken_imdb_ids(links, bad)
            genre_ids, summary.genres = genres_ensure(name for movie in movies.values() for name in movie.genres)
            summary.movies = loader.load_movies(movies, links, genre_ids)
            if RATINGS_CSV in release:
                with release.open(RATINGS_CSV) as stream:
                    rows = read_ratings(progress.counting(stream, RATINGS_CSV), movies, bad)
                    summary.users, summary.ratings, summary.superseded_ratings = loader.load_ratings(rows)
            progress.show("recomputing statistics", now=True)
            summary.statistics = statistics_recompute()
            invalidate_on_commit(ALL)
    progress.clear()
    summary.bad_rows = bad.counts
    summary.seconds = time.monotonic() - started
    return summary


def _drop_links_to_taken_imdb_ids(links: dict[int, LinkRow], bad: BadRows) -> None:
    """Skip the links whose IMDb id a movie of the database keeps after the import.

    A movie keeps its IMDb id unless the release gives it another one: movies outside the
    release (or without a links.csv row in it) keep theirs, and so does a movie whose own link
    was skipped, hence the loop until nothing more is skipped.
    """
    holders = {
        imdb_id: (pk, movielens_id)
        for pk, imdb_id, movielens_id in Movie.objects.exclude(imdb_id=None).values_list(
            "pk", "imdb_id", "movielens_id"
        )
    }
    while True:
        taken = []
        for movielens_id, link in links.items():
            holder_pk, holder_movielens_id = holders.get(link.imdb_id, (None, movielens_id))
            if holder_movielens_id != movielens_id and holder_movielens_id not in links:
                taken.append((movielens_id, link, holder_pk))
        if not taken:
            return
        for movielens_id, link, holder_pk in taken:
            reason = f"IMDb id {link.imdb_id} already belongs to another movie (id {holder_pk})"
            bad.add(LINKS_CSV, link.line, BadRowKind.IMDB_TAKEN, reason)
            del links[movielens_id]
