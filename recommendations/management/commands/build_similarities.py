"""`manage.py build_similarities`: build the similar-movie model now, in the foreground."""

import time
from typing import Any

from django.core.management.base import BaseCommand

from recommendations.services import similarity_model_build


class Command(BaseCommand):
    help = (
        "Build the similar-movie model from every current rating and swap it in (the same build the "
        "background worker runs nightly and after imports)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        model = similarity_model_build()
        self.stdout.write(
            f"Similarity model {model.pk}: {model.pairs_count:,} neighbour pairs for {model.movies_count:,} movies "
            f"from {model.ratings_count:,} ratings in {time.perf_counter() - started:.1f} s."
        )
