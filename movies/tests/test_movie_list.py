from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from movies.models import Movie
from movies.selectors import global_mean_rating
from movies.tests.factories import GenreFactory, MovieFactory
from movies.tests.helpers import V2, record_compilations

pytestmark = pytest.mark.django_db

URL = reverse("movie-list")


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [movie["title"] for movie in response.json()["results"]]


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [movie["id"] for movie in response.json()["results"]]


def test_the_list_is_paginated_and_ordered_by_title_then_id(api_client):
    first_heat = MovieFactory.create(title="Heat")
    alien = MovieFactory.create(title="Alien")
    second_heat = MovieFactory.create(title="Heat")
    response = api_client.get(URL)
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert ids(response) == [alien.pk, first_heat.pk, second_heat.pk]


def test_a_version_1_item_has_flat_statistics_and_genre_names(api_client, drama, crime):
    movie = MovieFactory.create(
        title="Heat",
        year=1995,
        genres=[drama, crime],
        imdb_id="tt0113277",
        tmdb_id=949,
        ratings_count=4,
        ratings_sum=Decimal("15.0"),
    )
    item = api_client.get(URL).json()["results"][0]
    assert set(item) == {
        "id",
        "title",
        "year",
        "genres",
        "imdb_id",
        "tmdb_id",
        "average_rating",
        "ratings_count",
        "weighted_rating",
        "created_at",
        "updated_at",
    }
    assert item["id"] == movie.pk
    assert sorted(item["genres"]) == ["Crime", "Drama"]
    assert item["imdb_id"] == "tt0113277"
    assert item["tmdb_id"] == 949
    assert item["average_rating"] == 3.75
    assert item["ratings_count"] == 4
    # The only movie: C is its own mean, so the weighted rating equals it.
    assert item["weighted_rating"] == 3.75


def test_a_version_2_item_groups_the_statistics_and_shows_genres_as_objects(api_client, drama):
    MovieFactory.create(title="Heat", genres=[drama], ratings_count=2, ratings_sum=Decimal("9.0"))
    item = api_client.get(URL, HTTP_ACCEPT=V2).json()["results"][0]
    assert set(item) == {"id", "title", "year", "genres", "imdb_id", "tmdb_id", "rating", "created_at", "updated_at"}
    assert item["genres"] == [{"slug": "drama", "name": "Drama"}]
    assert item["rating"] == {"average": 4.5, "count": 2, "weighted": 4.5}


def test_statistics_of_an_unrated_movie_are_null(api_client):
    MovieFactory.create()
    item = api_client.get(URL).json()["results"][0]
    assert item["average_rating"] is None
    assert item["weighted_rating"] is None
    assert item["ratings_count"] == 0
    item = api_client.get(URL, HTTP_ACCEPT=V2).json()["results"][0]
    assert item["rating"] == {"average": None, "count": 0, "weighted": None}


def test_the_average_is_rounded_half_up_to_two_decimals(api_client):
    MovieFactory.create(ratings_count=8, ratings_sum=Decimal("25.0"))  # exactly 3.125
    assert api_client.get(URL).json()["results"][0]["average_rating"] == 3.13


def test_search_matches_part_of_the_title_in_any_letter_case(api_client):
    MovieFactory.create(title="The Godfather")
    MovieFactory.create(title="The Godfather: Part II")
    MovieFactory.create(title="Heat")
    assert titles(api_client.get(URL, {"search": "GODFATHER"})) == ["The Godfather", "The Godfather: Part II"]
    assert titles(api_client.get(URL, {"search": "father: p"})) == ["The Godfather: Part II"]


def test_genre_matches_a_name_in_any_letter_case(api_client, drama, crime):
    MovieFactory.create(title="Heat", genres=[crime, drama])
    MovieFactory.create(title="Amelie", genres=[drama])
    MovieFactory.create(title="Alien")
    assert titles(api_client.get(URL, {"genre": "dRaMa"})) == ["Amelie", "Heat"]
    assert titles(api_client.get(URL, {"genre": "Crime"})) == ["Heat"]


def test_genre_matches_a_slug(api_client):
    scifi = GenreFactory.create(name="Sci-Fi Classics", slug="scifi")
    MovieFactory.create(title="Alien", genres=[scifi])
    MovieFactory.create(title="Heat")
    assert titles(api_client.get(URL, {"genre": "scifi"})) == ["Alien"]


def test_a_movie_matching_the_genre_twice_is_listed_once(api_client):
    by_name = GenreFactory.create(name="Noir", slug="noir-classics")
    by_slug = GenreFactory.create(name="Film noir", slug="noir")
    MovieFactory.create(title="Chinatown", genres=[by_name, by_slug])
    response = api_client.get(URL, {"genre": "noir"})
    assert titles(response) == ["Chinatown"]
    assert response.json()["count"] == 1


def test_an_unknown_genre_is_an_empty_result(api_client, drama):
    MovieFactory.create(genres=[drama])
    response = api_client.get(URL, {"genre": "Nonexistent"})
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_year_filters_by_exact_year_and_by_range(api_client):
    for year in (1990, 1995, 2000, None):
        MovieFactory.create(title=f"Movie {year}", year=year)
    assert titles(api_client.get(URL, {"year": 1995})) == ["Movie 1995"]
    assert titles(api_client.get(URL, {"year_min": 1995})) == ["Movie 1995", "Movie 2000"]
    assert titles(api_client.get(URL, {"year_max": 1995})) == ["Movie 1990", "Movie 1995"]
    assert titles(api_client.get(URL, {"year_min": 1991, "year_max": 1999})) == ["Movie 1995"]


def test_min_ratings_keeps_movies_with_at_least_that_many_ratings(api_client):
    MovieFactory.create(title="None")
    MovieFactory.create(title="Two", ratings_count=2, ratings_sum=Decimal("6.0"))
    MovieFactory.create(title="Five", ratings_count=5, ratings_sum=Decimal("15.0"))
    assert titles(api_client.get(URL, {"min_ratings": 2})) == ["Five", "Two"]
    assert titles(api_client.get(URL, {"min_ratings": 0})) == ["Five", "None", "Two"]


def test_filters_combine(api_client, drama):
    MovieFactory.create(title="Heat", year=1995, genres=[drama], ratings_count=1, ratings_sum=Decimal("4.0"))
    MovieFactory.create(title="Heat Wave", year=1995, ratings_count=1, ratings_sum=Decimal("4.0"))
    MovieFactory.create(title="Heat 2", year=2026, genres=[drama], ratings_count=1, ratings_sum=Decimal("4.0"))
    params = {"search": "heat", "genre": "drama", "year_max": 2000, "min_ratings": 1}
    assert titles(api_client.get(URL, params)) == ["Heat"]


@pytest.fixture
def ranked(db):
    """Three rated movies (C = 585/151) and an unrated one; averages and weighted ratings rank differently."""
    return {
        "once": MovieFactory.create(title="Once", year=2001, ratings_count=1, ratings_sum=Decimal("5.0")),
        "loved": MovieFactory.create(title="Loved", year=1990, ratings_count=100, ratings_sum=Decimal("480.0")),
        "meh": MovieFactory.create(title="Meh", year=None, ratings_count=50, ratings_sum=Decimal("100.0")),
        "unrated": MovieFactory.create(title="Unrated", year=2010),
    }


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("title", ["loved", "meh", "once", "unrated"]),
        ("-title", ["unrated", "once", "meh", "loved"]),
        ("year", ["loved", "once", "unrated", "meh"]),
        ("-year", ["unrated", "once", "loved", "meh"]),
        ("average_rating", ["meh", "loved", "once", "unrated"]),
        ("-average_rating", ["once", "loved", "meh", "unrated"]),
        ("ratings_count", ["once", "meh", "loved", "unrated"]),
        ("-ratings_count", ["loved", "meh", "once", "unrated"]),
        ("weighted_rating", ["meh", "once", "loved", "unrated"]),
        ("-weighted_rating", ["loved", "once", "meh", "unrated"]),
    ],
)
def test_ordering_puts_missing_values_last_in_both_directions(api_client, ranked, ordering, expected):
    response = api_client.get(URL, {"ordering": ordering})
    assert ids(response) == [ranked[name].pk for name in expected]


def test_ordering_accepts_several_fields(api_client):
    a = MovieFactory.create(title="B", year=2000)
    b = MovieFactory.create(title="A", year=2000)
    c = MovieFactory.create(title="C", year=1990)
    assert ids(api_client.get(URL, {"ordering": "-year,title"})) == [b.pk, a.pk, c.pk]
    assert ids(api_client.get(URL, {"ordering": "-year, title"})) == [b.pk, a.pk, c.pk]
    assert ids(api_client.get(URL, {"ordering": " -year ,title "})) == [b.pk, a.pk, c.pk]


def test_ties_are_broken_by_id_so_pages_are_stable(api_client):
    movies = [MovieFactory.create(title="Same", ratings_count=2, ratings_sum=Decimal("7.0")) for _ in range(5)]
    expected = [movie.pk for movie in movies]
    for ordering in ("average_rating", "-average_rating", "weighted_rating", "-ratings_count", "-title"):
        first = ids(api_client.get(URL, {"ordering": ordering, "page_size": 2}))
        second = ids(api_client.get(URL, {"ordering": ordering, "page_size": 2, "page": 2}))
        third = ids(api_client.get(URL, {"ordering": ordering, "page_size": 2, "page": 3}))
        assert first + second + third == expected, ordering


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("ordering", "popularity"),
        ("ordering", "title,-rank"),
        ("ordering", "imdb_id"),
        ("year", "abc"),
        ("year", "1995.5"),
        ("year_min", "x"),
        ("year_max", "99999"),
        ("min_ratings", "-1"),
        ("min_ratings", "many"),
        ("min_ratings", "99999999999999999999"),
    ],
)
def test_an_invalid_parameter_is_a_400_naming_it(api_client, parameter, value):
    response = api_client.get(URL, {parameter: value})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == [parameter]


def test_unknown_parameters_are_ignored(api_client):
    MovieFactory.create(title="Heat")
    assert titles(api_client.get(URL, {"colour": "blue", "sort": "nonsense"})) == ["Heat"]


def test_a_page_past_the_last_is_a_404(api_client):
    MovieFactory.create()
    assert api_client.get(URL, {"page": 2}).status_code == 404


def test_the_list_costs_the_same_queries_whatever_its_size(api_client, drama, crime, django_assert_num_queries):
    for size in (3, 40):
        MovieFactory.create_batch(size - Movie.objects.count(), genres=[drama, crime], ratings_count=1, ratings_sum=4)
        global_mean_rating()  # C is cached for a minute: warm it so every request reads it from the cache
        # The page with each movie's genres as a subquery, and no count: a page that is not full
        # tells it. Distinct query strings so each request is a cache miss.
        with django_assert_num_queries(1):
            response = api_client.get(URL, {"page_size": 100, "ordering": "-weighted_rating", "size": size})
        assert len(response.json()["results"]) == size
        assert response.json()["count"] == size
        assert all(len(movie["genres"]) == 2 for movie in response.json()["results"])


# --- The count: told by a short page, cached under the movie lists' generation for a full one ---


def test_a_short_page_gives_the_exact_count_without_counting(api_client, django_assert_num_queries):
    MovieFactory.create_batch(7)
    global_mean_rating()
    with django_assert_num_queries(1):
        body = api_client.get(URL, {"page_size": 3, "page": 3}).json()
    assert (body["count"], len(body["results"]), body["next"]) == (7, 1, None)
    assert body["previous"] == f"{URL}?page_size=3&page=2"


def test_an_empty_list_has_a_count_of_zero(api_client):
    body = api_client.get(URL).json()
    assert (body["count"], body["results"], body["next"], body["previous"]) == (0, [], None, None)


def test_a_page_past_the_end_is_a_404_whatever_the_count(api_client):
    MovieFactory.create_batch(4)
    assert api_client.get(URL, {"page_size": 2, "page": 2}).status_code == 200
    assert api_client.get(URL, {"page_size": 2, "page": 3}).status_code == 404
    assert api_client.get(URL, {"page_size": 2, "page": 30}).status_code == 404


@pytest.mark.parametrize("page", [2**61, 2**62, 10**30])
def test_a_page_beyond_any_catalogue_is_a_404_not_a_database_error(api_client, page):
    MovieFactory.create()
    for params in ({"page": page}, {"page": page, "search": "a", "page_size": 100}):
        response = api_client.get(URL, params)
        assert response.status_code == 404, response.content
        assert response.json()["detail"] == "Invalid page."


def test_a_full_page_counts_once_per_generation_of_the_movie_lists(api_client, django_assert_num_queries):
    MovieFactory.create_batch(5)
    global_mean_rating()
    # The first fill creates the generations; the count is stored only under existing ones.
    assert api_client.get(URL, {"page_size": 2}).json()["count"] == 5
    with django_assert_num_queries(2):  # the page, and the count (stored now)
        assert api_client.get(URL, {"page_size": 2, "page": 2}).json()["count"] == 5
    with django_assert_num_queries(1):  # the page only: another page size, the same count
        body = api_client.get(URL, {"page_size": 1, "page": 3}).json()
    assert (body["count"], body["next"]) == (5, f"{URL}?page_size=1&page=4")


def test_each_filter_has_its_own_cached_count(api_client):
    MovieFactory.create_batch(3, title="Heat", year=1995)
    MovieFactory.create_batch(2, title="Alien", year=1979)
    for _ in range(3):
        assert api_client.get(URL, {"page_size": 1, "search": "heat", "z": _}).json()["count"] == 3
        assert api_client.get(URL, {"page_size": 1, "year": 1979, "z": _}).json()["count"] == 2
        assert api_client.get(URL, {"page_size": 1, "z": _}).json()["count"] == 5
    # The ordering and the page are not filters: the same count.
    body = api_client.get(URL, {"page_size": 1, "page": 2, "search": "heat", "ordering": "-year"}).json()
    assert body["count"] == 3


@pytest.mark.redis
def test_a_count_is_counted_on_the_primary_when_the_cache_lacks_it(api_client, monkeypatch):
    """A count stored under a generation must be at least as new as the generation: a replica
    the fill reads may lag behind one bumped after the page's lookup."""
    from movies import selectors

    MovieFactory.create_batch(3)
    api_client.get(URL, {"page_size": 1})  # generations created
    used: list[str | None] = []
    real_using = selectors.QuerySet.using

    def recording_using(queryset, alias):
        used.append(alias)
        return real_using(queryset, alias)

    monkeypatch.setattr(selectors.QuerySet, "using", recording_using)
    assert api_client.get(URL, {"page_size": 1, "page": 2}).json()["count"] == 3
    assert used == [selectors.PRIMARY]


def test_the_list_counts_when_the_cache_is_down(api_client, monkeypatch):
    from redis.exceptions import ConnectionError as RedisConnectionError

    from config import cache as response_cache

    def unreachable(*args, **kwargs):
        raise RedisConnectionError("connection refused")

    MovieFactory.create_batch(3)
    monkeypatch.setattr(response_cache, "_lookup", unreachable)
    body = api_client.get(URL, {"page_size": 1, "page": 2}).json()
    assert (body["count"], body["next"]) == (3, f"{URL}?page_size=1&page=3")


@pytest.mark.parametrize(("ordering", "computed_in_sql"), [("title", False), ("-average_rating", True)])
def test_the_statistics_are_computed_in_sql_only_to_order_by_them(api_client, ordering, computed_in_sql):
    MovieFactory.create_batch(2)
    with CaptureQueriesContext(connection) as captured:
        assert api_client.get(URL, {"ordering": ordering}).status_code == 200
    movie_query = next(
        q["sql"] for q in captured.captured_queries if 'FROM "movies_movie"' in q["sql"] and "LIMIT" in q["sql"]
    )
    selected, rest = movie_query.split(" FROM ", 1)
    assert "ratings_sum" in selected  # the serializer computes the shown values from the stored sum
    assert "CASE" not in selected.upper()  # and no second, selected copy of the average in SQL
    assert ("ratings_sum" in rest) is computed_in_sql  # in ORDER BY only when ordering by it


def test_an_unfiltered_list_miss_compiles_no_statement(api_client, monkeypatch):
    """The unfiltered page's statement is compiled once (per thread), and its count is cached."""
    MovieFactory.create_batch(5)
    global_mean_rating()
    for page in (1, 2):  # the generations created, then the count cached
        assert api_client.get(URL, {"page_size": 2, "page": page}).status_code == 200
    compiled = record_compilations(monkeypatch)
    body = api_client.get(URL, {"page_size": 2, "page": 2, "z": 1}).json()
    assert (body["count"], len(body["results"])) == (5, 2)
    assert compiled == []
