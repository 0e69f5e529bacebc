"""The catalogue's reads (list, detail, top) answer, byte for byte, what the DRF serializers and
DRF's renderer answered before the row paths (`serializer_paths.py` keeps those as a reference).

A catalogue of odd titles and genres, rated and unrated movies, every page, every detail and the
top list, in both versions.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from movies.models import Movie
from movies.selectors import global_mean_rating
from movies.tests.factories import GenreFactory, MovieFactory
from movies.tests.helpers import V2
from movies.tests.helpers import assert_same_bytes as same_bytes

pytestmark = pytest.mark.django_db

ODD_TITLES = [
    "Amélie (Le Fabuleux Destin d'Amélie Poulain)",
    'The "Quoted" Movie \\ with a backslash',
    "Line\u2028separated and paragraph\u2029separated",
    "Emoji 🎬🍿 and 千と千尋の神隠し",
    "Tab\tand newline\nand NUL-free controls \x01\x1f",
    "</script><script>alert(1)</script>",
    "Right-to-left \u202e override and zero width \u200b",
    "Re-Animator: 1e-05 and 0.00001 as text",
    "Ünïcödé ñ ß Ω ж ע ي",
]
VERSIONS = ["application/json", V2]


@pytest.fixture
def catalogue(rate):
    genres = [
        GenreFactory.create(name="Drama", slug="drama"),
        GenreFactory.create(name="Sci-Fi", slug="sci-fi"),
        GenreFactory.create(name='Ciné ✨ \u2028 "noir"', slug="cine-noir"),
        GenreFactory.create(name="(no genres listed)", slug="no-genres-listed"),
    ]
    movies = []
    for n, title in enumerate(ODD_TITLES):
        movie = MovieFactory.create(
            title=title,
            year=None if n % 4 == 0 else 1990 + n,
            imdb_id=None if n % 3 == 0 else f"tt{1000000 + n:07d}",
            tmdb_id=None if n % 2 else 100 + n,
            genres=genres[: n % 5],
        )
        movies.append(movie)
    # Averages that round half-up (3.125 -> 3.13), whole ones (4.0), the ends of the scale.
    rate(movies[0], "3.0", "3.5", "3.0", "3.0")
    rate(movies[1], "4.0")
    rate(movies[2], "0.5", "5.0", "2.5")
    rate(movies[3], "5.0", "5.0")
    rate(movies[4], "0.5")
    rate(movies[5], "1.0", "2.0", "3.5")
    # Created inside the same transaction: timestamps with microseconds, all in UTC.
    MovieFactory.create_batch(45, genres=genres[1:3])
    global_mean_rating()
    return movies


def assert_same_bytes(client, settings, url, params, accept):
    return same_bytes(client, settings, url, params, accept, reference="movies.tests.serializer_paths")


@pytest.mark.parametrize("accept", VERSIONS)
def test_every_list_page_is_byte_for_byte_the_serializers(api_client, settings, catalogue, accept):
    pages = -(-Movie.objects.count() // 20)
    for page in range(1, pages + 1):
        assert_same_bytes(api_client, settings, reverse("movie-list"), {"page": page}, accept)
    # Other orderings, filters and page sizes go through the same representation.
    for params in (
        {"ordering": "-weighted_rating", "page_size": 100},
        {"ordering": "average_rating,-year", "page_size": 7, "page": 2},
        {"genre": "sci-fi", "search": "e"},
        {"min_ratings": 1},
    ):
        assert_same_bytes(api_client, settings, reverse("movie-list"), params, accept)


@pytest.mark.parametrize("accept", VERSIONS)
def test_every_detail_is_byte_for_byte_the_serializers(api_client, settings, catalogue, accept):
    for movie in Movie.objects.all():
        content = assert_same_bytes(api_client, settings, reverse("movie-detail", args=[movie.pk]), {}, accept)
        assert b"distribution" in content


@pytest.mark.parametrize("accept", VERSIONS)
def test_the_top_list_is_byte_for_byte_the_serializers(api_client, settings, catalogue, accept):
    content = assert_same_bytes(api_client, settings, reverse("movie-top"), {"limit": 100}, accept)
    assert content.count(b'"id":') == Movie.objects.filter(ratings_count__gt=0).count()
    assert_same_bytes(api_client, settings, reverse("movie-top"), {"genre": "Drama", "limit": 3}, accept)


def test_the_odd_titles_are_in_the_compared_bytes(api_client, settings, catalogue):
    content = assert_same_bytes(api_client, settings, reverse("movie-list"), {"page_size": 100}, V2)
    assert b"\\u2028" in content and b"\\u2029" in content  # escaped as DRF does
    assert "🎬".encode() in content and b'\\"Quoted\\"' in content and b"\\u0001" in content
    assert b"3.13" in content and b'"average":4.0' in content  # half-up rounding, whole averages


def test_the_statistics_of_a_movie_are_decimals_rounded_half_up(api_client, catalogue):
    item = api_client.get(reverse("movie-detail", args=[catalogue[0].pk])).json()
    assert Decimal(str(item["average_rating"])) == Decimal("3.13")
