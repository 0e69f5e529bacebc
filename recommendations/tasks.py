"""Background tasks of the recommendations app: each calls a service and holds no rules of its own."""

import logging
from typing import Any

from celery import shared_task
from django.db import DatabaseError
from redis.exceptions import RedisError

from recommendations.services import similarity_model_build

logger = logging.getLogger("recommendations")

# Transient failures worth another try; anything else is a bug and fails at once (logged).
RETRY_ON = (DatabaseError, RedisError, OSError)


@shared_task(
    autoretry_for=RETRY_ON,
    retry_backoff=30,  # 30 s, 60 s, 120 s, ... with jitter, at most 10 minutes apart
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def rebuild_similarities() -> dict[str, Any]:
    """Build the similar-movie model from every current rating and swap it in.

    Queued by celery beat on a schedule and after each MovieLens import. A failed attempt leaves
    the active model as it was (the build is written aside and swapped in one transaction).
    """
    model = similarity_model_build()
    return {"model": model.pk, "pairs": model.pairs_count, "seconds": round(model.build_seconds, 2)}


def rebuild_similarities_after_import() -> str:
    """Queue a rebuild after new ratings arrived in bulk; says what happened, for the command's output.

    In-process (no broker configured) the build runs now. A broker that cannot be reached does not
    fail the import that already succeeded: the nightly rebuild, or `manage.py build_similarities`,
    catches up.
    """
    try:
        result = rebuild_similarities.delay()
    except Exception as error:  # kombu wraps connection errors in its own types
        logger.warning("could not queue the similarity rebuild after the import: %s", error)
        return f"Similar movies: could not queue the rebuild ({error}); run `manage.py build_similarities`."
    if rebuild_similarities.app.conf.task_always_eager:
        return "Similar movies: model rebuilt."
    return f"Similar movies: rebuild queued (task {result.id})."
