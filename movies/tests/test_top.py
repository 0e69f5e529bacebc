from decimal import Decimal

import pytest
from django.urls import reverse

from movies.models import Movie
from movies.selectors import global_mean_rating
from movies.tests.factories import GenreFactory, MovieFactory
from movies.tests.helpers import V2

pytestmark = pytest.mark.django_db

URL = reverse("movie-top")


@pytest.fixture
def catalogue(db):
    """Three rated movies and an unrated one. C = (5 + 480 + 100) / (1 + 100 + 50) = 585/151 ≈ 3.874."""
    return {
        "once": MovieFactory.create(title="Once", ratings_count=1, ratings_sum=Decimal("5.0")),
        "loved": MovieFactory.create(title="Loved", ratings_count=100, ratings_sum=Decimal("480.0")),
        "meh": MovieFactory.create(title="Meh", ratings_count=50, ratings_sum=Decimal("100.0")),
        "unrated": MovieFactory.create(title="Unrated"),
    }


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [movie["title"] for movie in response.json()]


def test_top_ranks_by_the_bayesian_weighted_rating(api_client, catalogue):
    response = api_client.get(URL)
    # (v·R + m·C) / (v + m) with m = 10, C = 585/151:
    # Loved (480 + 10·585/151) / 110 = 4.7158…, Once (5 + 10·585/151) / 11 = 3.9765…,
    # Meh (100 + 10·585/151) / 60 = 2.3124…
    assert [(movie["title"], movie["weighted_rating"]) for movie in response.json()] == [
        ("Loved", 4.72),
        ("Once", 3.98),
        ("Meh", 2.31),
    ]


def test_top_is_a_plain_list_in_the_list_shape_of_each_version(api_client, catalogue):
    v1 = api_client.get(URL).json()
    assert isinstance(v1, list)
    assert {"average_rating", "ratings_count", "weighted_rating", "genres"} <= set(v1[0])
    v2 = api_client.get(URL, HTTP_ACCEPT=V2).json()
    assert v2[0]["rating"] == {"average": 4.8, "count": 100, "weighted": 4.72}
    assert "distribution" not in v2[0]["rating"]


def test_the_prior_weight_comes_from_the_settings(api_client, catalogue, settings):
    settings.RATING_PRIOR = 0  # no prior: the weighted rating is the plain mean
    assert titles(api_client.get(URL)) == ["Once", "Loved", "Meh"]


def test_unrated_movies_never_appear(api_client, catalogue):
    assert "Unrated" not in titles(api_client.get(URL))


def test_equal_weighted_ratings_rank_by_count_then_title_then_id(api_client):
    # Every mean is 3.0, so C = 3.0 and every weighted rating is exactly 3.0.
    beta_first = MovieFactory.create(title="Beta", ratings_count=2, ratings_sum=Decimal("6.0"))
    many = MovieFactory.create(title="Zulu", ratings_count=4, ratings_sum=Decimal("12.0"))
    alpha = MovieFactory.create(title="Alpha", ratings_count=2, ratings_sum=Decimal("6.0"))
    beta_second = MovieFactory.create(title="Beta", ratings_count=2, ratings_sum=Decimal("6.0"))
    response = api_client.get(URL)
    assert [movie["id"] for movie in response.json()] == [many.pk, alpha.pk, beta_first.pk, beta_second.pk]
    assert {movie["weighted_rating"] for movie in response.json()} == {3.0}


def test_min_ratings_raises_the_bar(api_client, catalogue):
    assert titles(api_client.get(URL, {"min_ratings": 50})) == ["Loved", "Meh"]


def test_genre_narrows_the_ranking(api_client, catalogue, drama):
    catalogue["meh"].genres.add(drama)
    catalogue["once"].genres.add(GenreFactory.create(name="Comedy"))
    assert titles(api_client.get(URL, {"genre": "DRAMA"})) == ["Meh"]
    assert titles(api_client.get(URL, {"genre": "nothing-like-it"})) == []


def test_limit_defaults_to_20_and_is_clamped_to_100(api_client):
    Movie.objects.bulk_create(
        Movie(title=f"Movie {n:03}", ratings_count=1, ratings_sum=Decimal("4.0")) for n in range(105)
    )
    assert len(api_client.get(URL).json()) == 20
    assert len(api_client.get(URL, {"limit": 3}).json()) == 3
    assert len(api_client.get(URL, {"limit": 1000}).json()) == 100


@pytest.mark.parametrize(
    ("parameter", "value", "code"),
    [
        ("min_ratings", "0", "min_value"),
        ("min_ratings", "-3", "min_value"),
        ("min_ratings", "x", "invalid"),
        ("min_ratings", "99999999999", "max_value"),
        ("limit", "0", "min_value"),
        ("limit", "ten", "invalid"),
    ],
)
def test_an_invalid_parameter_is_a_400_naming_it(api_client, parameter, value, code):
    response = api_client.get(URL, {parameter: value})
    assert response.status_code == 400
    assert [(error["field"], error["code"]) for error in response.json()["errors"]] == [(parameter, code)]


@pytest.mark.parametrize("url", [URL, reverse("movie-list")])
def test_a_min_ratings_beyond_any_count_is_refused_by_the_top_and_the_list_alike(api_client, url):
    response = api_client.get(url, {"min_ratings": "99999999999"})
    assert response.status_code == 400
    assert [(error["field"], error["code"]) for error in response.json()["errors"]] == [("min_ratings", "max_value")]


def test_top_costs_the_same_queries_whatever_the_data_size(api_client, drama, crime, django_assert_num_queries):
    for size in (3, 60):
        MovieFactory.create_batch(
            size - Movie.objects.count(), genres=[drama, crime], ratings_count=2, ratings_sum=Decimal("7.0")
        )
        global_mean_rating()
        # The ranked movies with their genres as a subquery; a distinct query string so the request
        # is a cache miss.
        with django_assert_num_queries(1):
            response = api_client.get(URL, {"limit": 100, "size": size})
        assert len(response.json()) == size


def test_a_genre_with_a_nul_character_is_a_400_naming_genre(api_client, db):
    response = api_client.get("/api/movies/top/", {"genre": "Dra\x00ma"})
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["genre"]
