import threading
import time
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse
from redis.exceptions import ConnectionError as RedisConnectionError

from movies import selectors
from movies.models import Movie
from movies.selectors import global_mean_rating, weighted_rating
from movies.tests.factories import GenreFactory, MovieFactory
from movies.tests.helpers import forget_global_mean

pytestmark = pytest.mark.django_db


def test_the_global_mean_is_the_mean_of_every_rating_from_the_movie_counters():
    MovieFactory.create(ratings_count=3, ratings_sum=Decimal("10.0"))
    MovieFactory.create(ratings_count=1, ratings_sum=Decimal("5.0"))
    MovieFactory.create()
    assert global_mean_rating() == Decimal("3.75")


def test_the_global_mean_is_none_without_ratings():
    MovieFactory.create()
    assert global_mean_rating() is None


def test_the_global_mean_is_reused_until_it_expires(django_assert_num_queries):
    MovieFactory.create(ratings_count=1, ratings_sum=Decimal("4.0"))
    assert global_mean_rating() == Decimal("4")
    Movie.objects.update(ratings_sum=Decimal("2.0"))
    with django_assert_num_queries(0):
        assert global_mean_rating() == Decimal("4")
    forget_global_mean()
    assert global_mean_rating() == Decimal("2")


def test_no_ratings_is_cached_too(django_assert_num_queries):
    assert global_mean_rating() is None
    with django_assert_num_queries(0):
        assert global_mean_rating() is None


def test_the_global_mean_is_kept_in_the_process_without_asking_the_cache(monkeypatch):
    MovieFactory.create(ratings_count=1, ratings_sum=Decimal("4.0"))
    assert global_mean_rating() == Decimal("4")
    warnings: list[Exception] = []
    monkeypatch.setattr(selectors, "cache", BrokenCache())  # any read of it would warn
    monkeypatch.setattr(selectors, "warn_cache_unavailable", warnings.append)
    assert global_mean_rating() == Decimal("4")
    assert warnings == []


def test_the_process_keeps_the_global_mean_only_while_its_cached_copy_lives():
    cache.set(selectors.GLOBAL_MEAN_CACHE_KEY, (Decimal("3"), time.time() - 1), timeout=60)
    assert global_mean_rating() == Decimal("3")
    # Its minute was over when it was read: not kept, the cache is asked again.
    cache.set(selectors.GLOBAL_MEAN_CACHE_KEY, (Decimal("2"), time.time() + 60), timeout=60)
    assert global_mean_rating() == Decimal("2")
    cache.set(selectors.GLOBAL_MEAN_CACHE_KEY, (Decimal("1"), time.time() + 60), timeout=60)
    assert global_mean_rating() == Decimal("2")  # kept until the copy it read expires


def test_the_process_never_keeps_the_global_mean_longer_than_its_ttl(settings):
    settings.RATING_GLOBAL_MEAN_TTL = 0
    cache.set(selectors.GLOBAL_MEAN_CACHE_KEY, (Decimal("3"), time.time() + 3600), timeout=60)
    assert global_mean_rating() == Decimal("3")
    cache.set(selectors.GLOBAL_MEAN_CACHE_KEY, (Decimal("2"), time.time() + 3600), timeout=60)
    assert global_mean_rating() == Decimal("2")


def test_a_global_mean_that_could_not_be_cached_is_not_kept_in_the_process(monkeypatch):
    MovieFactory.create(ratings_count=2, ratings_sum=Decimal("7.0"))
    monkeypatch.setattr(selectors, "cache", WriteOnlyBrokenCache())
    assert global_mean_rating() == Decimal("3.5")
    assert selectors._local_mean is None


class RecordingCache:
    """An empty cache that records how long each stored value should live."""

    def __init__(self) -> None:
        self.timeouts: dict[str, int] = {}
        self.values: dict[str, Any] = {}

    def get(self, key):
        return None

    def set(self, key, value, timeout):
        self.timeouts[key] = timeout
        self.values[key] = value


class BrokenCache:
    """A cache whose server is unreachable."""

    def get(self, *args, **kwargs):
        raise RedisConnectionError("connection refused")

    set = get


class WriteOnlyBrokenCache(RecordingCache):
    """Reads work (and find nothing); writes fail."""

    set = BrokenCache.get


def test_the_global_mean_is_cached_for_the_configured_time(settings, monkeypatch):
    settings.RATING_GLOBAL_MEAN_TTL = 42
    recording = RecordingCache()
    monkeypatch.setattr(selectors, "cache", recording)
    global_mean_rating()
    assert recording.timeouts == {selectors.GLOBAL_MEAN_CACHE_KEY: 42}
    _mean, expires_at = recording.values[selectors.GLOBAL_MEAN_CACHE_KEY]
    assert time.time() + 41 < expires_at <= time.time() + 42


def test_the_global_mean_is_computed_directly_when_the_cache_is_down(monkeypatch):
    MovieFactory.create(ratings_count=2, ratings_sum=Decimal("7.0"))
    warnings: list[Exception] = []
    monkeypatch.setattr(selectors, "cache", BrokenCache())
    monkeypatch.setattr(selectors, "warn_cache_unavailable", warnings.append)
    assert global_mean_rating() == Decimal("3.5")
    assert [type(warning) for warning in warnings] == [RedisConnectionError]


def test_a_failed_store_of_the_global_mean_still_returns_it(monkeypatch):
    MovieFactory.create(ratings_count=2, ratings_sum=Decimal("7.0"))
    monkeypatch.setattr(selectors, "cache", WriteOnlyBrokenCache())
    assert global_mean_rating() == Decimal("3.5")


def test_the_movie_list_is_served_when_the_global_mean_cannot_be_cached(api_client, monkeypatch):
    MovieFactory.create(ratings_count=2, ratings_sum=Decimal("7.0"))
    monkeypatch.setattr(selectors, "cache", BrokenCache())
    response = api_client.get(reverse("movie-list"))
    assert response.status_code == 200
    assert response.json()["results"][0]["weighted_rating"] == 3.5


def test_the_weighted_rating_is_exact(settings):
    settings.RATING_PRIOR = 10
    # (v·R + m·C) / (v + m) = (7 + 10·3) / (2 + 10) = 37/12
    value = weighted_rating(ratings_count=2, ratings_sum=Decimal("7.0"), global_mean=Decimal(3))
    assert value == Decimal(37) / Decimal(12)


def test_the_weighted_rating_is_none_without_ratings():
    assert weighted_rating(ratings_count=0, ratings_sum=Decimal(0), global_mean=Decimal(3)) is None


def test_while_the_global_mean_is_unknown_the_weighted_rating_is_the_mean():
    assert weighted_rating(ratings_count=2, ratings_sum=Decimal("7.0"), global_mean=None) == Decimal("3.5")


def test_a_stale_unknown_global_mean_still_ranks_rated_movies(api_client):
    global_mean_rating()  # cached as "no ratings yet"
    MovieFactory.create(title="Low", ratings_count=2, ratings_sum=Decimal("3.0"))
    MovieFactory.create(title="High", ratings_count=1, ratings_sum=Decimal("4.5"))
    top = api_client.get(reverse("movie-top")).json()
    assert [(movie["title"], movie["weighted_rating"]) for movie in top] == [("High", 4.5), ("Low", 1.5)]
    ordered = api_client.get(reverse("movie-list"), {"ordering": "-weighted_rating"}).json()["results"]
    assert [movie["title"] for movie in ordered] == ["High", "Low"]


# --- Precompiled statements -------------------------------------------------------------------


def test_the_precompiled_detail_reads_the_rows_the_queryset_reads(rate):
    drama, crime = GenreFactory.create(name="Drama"), GenreFactory.create(name="Crime")
    movie = MovieFactory.create(genres=[drama, crime], year=None, imdb_id=None)
    rate(movie, "0.5", "4.5", "4.5")
    other = MovieFactory.create()
    for pk in (movie.pk, other.pk):
        expected = list(selectors.movie_rows(Movie.objects.filter(pk=pk), distribution=True))
        assert selectors._MOVIE_DETAIL.rows([pk]) == expected
    assert selectors._MOVIE_DETAIL.rows([other.pk + 1000]) == []


def test_the_precompiled_page_reads_the_rows_the_sliced_queryset_reads():
    MovieFactory.create_batch(5, genres=[GenreFactory.create()])
    queryset = selectors.movie_rows(selectors.catalogue_queryset(global_mean=None, sortable=False))
    assert selectors._CATALOGUE_PAGE.rows([2, 1]) == list(queryset[1:3])
    assert selectors._CATALOGUE_PAGE.rows([20, 0]) == list(queryset)


def test_a_statement_is_compiled_once_per_thread():
    builds: list[str] = []

    def build():
        builds.append(threading.current_thread().name)
        return Movie.objects.filter(pk=7).values("id")

    statement = selectors.CompiledRows(build, placeholders=[7])
    statement.rows([1])
    statement.rows([2])
    assert len(builds) == 1


def test_a_statement_whose_parameters_are_not_the_placeholders_is_refused():
    statement = selectors.CompiledRows(lambda: Movie.objects.filter(pk=7, year=1999).values("id"), placeholders=[7])
    with pytest.raises(ValueError, match="expected"):
        statement.rows([1])


@pytest.mark.parametrize("filtered", [False, True])
def test_a_page_reads_the_rows_of_the_sliced_list(filtered):
    drama = GenreFactory.create(name="Drama")
    for index in range(7):
        MovieFactory.create(title=f"Movie {index % 3}", genres=[drama] if index % 2 else [])
    queryset = selectors.catalogue_queryset(global_mean=None, sortable=filtered)
    if filtered:
        queryset = queryset.filter(title__startswith="Movie").order_by("-title", "id")
    everything = list(selectors.movie_rows(queryset))
    for offset in range(0, 8, 3):
        assert list(selectors.page_rows(queryset, offset=offset, limit=3)) == everything[offset : offset + 3]
