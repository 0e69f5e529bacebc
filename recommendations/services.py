"""Writes of the recommendations app: building the similarity model and swapping it in.

`similarity_model_build` is the one build used by the Celery task, `manage.py build_similarities`
and the post-import trigger. It reads every rating once, computes the neighbours with NumPy/SciPy
(`recommendations.algorithm`), writes them aside under a new inactive model in one transaction,
then swaps it in with a second, short one (`similarity_model_activate`). A build that fails at any
point leaves the active model as it was.
"""

import logging
import time
from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from config.cache import SIMILAR_MOVIES, invalidate_on_commit
from ratings.models import Rating
from recommendations.algorithm import Neighbours, Parameters, top_neighbours
from recommendations.models import MovieSimilarity, SimilarityModel

logger = logging.getLogger("recommendations")

_FETCH_ROWS = 100_000
_INSERT_BATCH = 5_000
_COPY_BATCH = 50_000


@dataclass(frozen=True)
class RatingArrays:
    """Every rating as parallel arrays (scores on the 0.5 to 5.0 scale)."""

    users: np.ndarray
    movies: np.ndarray
    scores: np.ndarray


def ratings_arrays() -> RatingArrays:
    """Read the ratings table in chunks straight into arrays (no model instances)."""
    table = connection.ops.quote_name(Rating._meta.db_table)
    chunks = []
    with connection.cursor() as cursor:
        # Half stars as integers: plain ints convert to an array far faster than Decimals.
        cursor.execute(f"SELECT user_id, movie_id, CAST(score * 2 AS INTEGER) FROM {table}")
        while rows := cursor.fetchmany(_FETCH_ROWS):
            chunks.append(np.array(rows, dtype=np.int64))
    data = np.concatenate(chunks) if chunks else np.empty((0, 3), dtype=np.int64)
    return RatingArrays(users=data[:, 0], movies=data[:, 1], scores=data[:, 2] / 2.0)


def _write_neighbours(model: SimilarityModel, neighbours: Neighbours) -> None:
    """Insert the neighbour rows of `model`: COPY on PostgreSQL, batched inserts elsewhere."""
    rows = zip(
        neighbours.movie_ids.tolist(),
        neighbours.neighbour_ids.tolist(),
        neighbours.ranks.tolist(),
        neighbours.similarities.tolist(),
        strict=True,
    )
    if connection.vendor == "postgresql":
        # COPY in text format, rows formatted in bulk: per-row calls would cost seconds.
        table = MovieSimilarity._meta.db_table
        sql = f"COPY {table} (model_id, movie_id, neighbour_id, rank, similarity) FROM STDIN"
        with connection.cursor() as cursor, cursor.copy(sql) as copy:
            lines: list[str] = []
            for movie_id, neighbour_id, rank, similarity in rows:
                lines.append(f"{model.pk}\t{movie_id}\t{neighbour_id}\t{rank}\t{similarity!r}\n")
                if len(lines) >= _COPY_BATCH:
                    copy.write("".join(lines))
                    lines = []
            copy.write("".join(lines))
        return
    batch: list[MovieSimilarity] = []
    for movie_id, neighbour_id, rank, similarity in rows:
        batch.append(
            MovieSimilarity(model=model, movie_id=movie_id, neighbour_id=neighbour_id, rank=rank, similarity=similarity)
        )
        if len(batch) >= _INSERT_BATCH:
            MovieSimilarity.objects.bulk_create(batch)
            batch = []
    MovieSimilarity.objects.bulk_create(batch)


def similarity_model_activate(*, model: SimilarityModel) -> bool:
    """Make `model` the active one in one transaction, unless a newer model is already active.

    Returns whether it was swapped in. The similar-movies cache is invalidated after commit.
    Older inactive models (the one replaced, failed or superseded builds) are deleted afterwards.
    """
    with transaction.atomic():
        current = SimilarityModel.objects.select_for_update().filter(is_active=True).first()
        if current is not None and current.pk > model.pk:
            logger.info("similarity model %s superseded by the newer model %s: discarded", model.pk, current.pk)
            swapped = False
        else:
            if current is not None:
                current.is_active = False
                current.save(update_fields=["is_active"])
            model.is_active = True
            model.activated_at = timezone.now()
            model.save(update_fields=["is_active", "activated_at"])
            invalidate_on_commit(SIMILAR_MOVIES)
            swapped = True
    active = SimilarityModel.objects.filter(is_active=True).values_list("pk", flat=True).first()
    if active is not None:
        stale = SimilarityModel.objects.filter(is_active=False, pk__lt=active)
        MovieSimilarity.objects.filter(model__in=stale).delete()
        stale.delete()
    return swapped


def similarity_model_build(*, parameters: Parameters | None = None) -> SimilarityModel:
    """Build the item-to-item model from every current rating and swap it in.

    Runs in the background worker (or in the foreground from `manage.py build_similarities`),
    never inside a request.
    """
    parameters = parameters or Parameters()
    started = time.perf_counter()
    data = ratings_arrays()
    loaded = time.perf_counter()
    neighbours = top_neighbours(data.users, data.movies, data.scores, parameters)
    computed = time.perf_counter()
    with transaction.atomic():
        model = SimilarityModel.objects.create(
            parameters=parameters.as_dict(),
            ratings_count=len(data.scores),
            movies_count=len(np.unique(neighbours.movie_ids)),
            pairs_count=len(neighbours),
        )
        _write_neighbours(model, neighbours)
        model.build_seconds = time.perf_counter() - started
        model.save(update_fields=["build_seconds"])
    stored = time.perf_counter()
    similarity_model_activate(model=model)
    logger.info(
        "similarity model %s built from %d ratings: %d movies, %d pairs in %.1f s "
        "(read %.1f s, compute %.1f s, store %.1f s)",
        model.pk,
        model.ratings_count,
        model.movies_count,
        model.pairs_count,
        time.perf_counter() - started,
        loaded - started,
        computed - loaded,
        stored - computed,
        extra={"similarity_model": model.pk, "ratings": model.ratings_count, "pairs": model.pairs_count},
    )
    return model
