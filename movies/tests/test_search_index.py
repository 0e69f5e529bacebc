import random

import pytest
from django.db import connection

from movies.filters import MovieFilterSet
from movies.models import Movie
from movies.selectors import movie_list_queryset

pytestmark = pytest.mark.django_db

WORDS = [
    "the",
    "of",
    "love",
    "night",
    "man",
    "war",
    "dark",
    "star",
    "city",
    "blood",
    "time",
    "house",
    "girl",
    "world",
    "life",
    "dead",
    "last",
    "king",
    "story",
]


@pytest.mark.postgres(reason="the trigram index exists on PostgreSQL only (DATABASE_URL); SQLite scans")
def test_title_search_uses_the_trigram_index_on_postgresql():
    rng = random.Random(7)
    Movie.objects.bulk_create(
        Movie(title=" ".join(rng.choice(WORDS).title() for _ in range(rng.randint(1, 4))) + f" {n}")
        for n in range(20_000)
    )
    Movie.objects.create(title="The Godfather")
    with connection.cursor() as cursor:
        # Rows inserted in bulk wait in the GIN index's pending list until (auto)vacuum merges them.
        cursor.execute("SELECT gin_clean_pending_list('movies_movie_title_trgm'::regclass)")
        cursor.execute("ANALYZE movies_movie")
    page = MovieFilterSet({"search": "godfather"}, queryset=movie_list_queryset(global_mean=None)).qs[:20]
    assert "movies_movie_title_trgm" in page.explain()
    assert [movie.title for movie in page] == ["The Godfather"]
