import pytest
from django.urls import reverse

from movies.selectors import global_mean_rating
from movies.tests.factories import MovieFactory
from movies.tests.helpers import V2, record_compilations

pytestmark = pytest.mark.django_db

SCALE = ["0.5", "1.0", "1.5", "2.0", "2.5", "3.0", "3.5", "4.0", "4.5", "5.0"]


def detail_url(movie) -> str:
    return reverse("movie-detail", kwargs={"pk": movie.pk})


def test_the_version_1_detail_adds_the_distribution(api_client, drama, rate):
    movie = MovieFactory.create(title="Heat", year=1995, genres=[drama])
    rate(movie, "4.5", "4.5", "4.0")
    body = api_client.get(detail_url(movie)).json()
    assert body["id"] == movie.pk
    assert body["title"] == "Heat"
    assert body["genres"] == ["Drama"]
    assert body["average_rating"] == 4.33
    assert body["ratings_count"] == 3
    assert body["weighted_rating"] == 4.33  # the only rated movie: C is its own mean
    assert body["distribution"] == {**dict.fromkeys(SCALE, 0), "4.0": 1, "4.5": 2}


def test_the_distribution_always_has_every_score_of_the_scale_in_order(api_client):
    movie = MovieFactory.create()
    distribution = api_client.get(detail_url(movie)).json()["distribution"]
    assert list(distribution) == SCALE
    assert set(distribution.values()) == {0}


def test_the_distribution_counts_each_score(api_client, rate):
    movie = MovieFactory.create()
    rate(movie, *SCALE, "0.5", "5.0", "5.0")
    distribution = api_client.get(detail_url(movie)).json()["distribution"]
    assert distribution == {**dict.fromkeys(SCALE, 1), "0.5": 2, "5.0": 3}


def test_the_distribution_counts_only_this_movies_ratings(api_client, rate):
    movie, other = MovieFactory.create(), MovieFactory.create()
    rate(other, "3.0", "3.0")
    rate(movie, "3.0")
    assert api_client.get(detail_url(movie)).json()["distribution"]["3.0"] == 1


def test_the_version_2_detail_puts_the_distribution_inside_rating(api_client, drama, rate):
    movie = MovieFactory.create(genres=[drama])
    rate(movie, "3.0", "4.0")
    body = api_client.get(detail_url(movie), HTTP_ACCEPT=V2).json()
    assert set(body) == {"id", "title", "year", "genres", "imdb_id", "tmdb_id", "rating", "created_at", "updated_at"}
    assert body["genres"] == [{"slug": "drama", "name": "Drama"}]
    assert body["rating"] == {
        "average": 3.5,
        "count": 2,
        "weighted": 3.5,
        "distribution": {**dict.fromkeys(SCALE, 0), "3.0": 1, "4.0": 1},
    }


def test_an_unknown_movie_is_a_404(api_client):
    response = api_client.get(reverse("movie-detail", kwargs={"pk": 987654}))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_a_non_numeric_id_is_a_404(api_client):
    assert api_client.get("/api/movies/heat/").status_code == 404


def test_list_parameters_do_not_affect_the_detail(api_client):
    movie = MovieFactory.create(year=1995)
    response = api_client.get(detail_url(movie), {"year": "abc", "genre": "none", "ordering": "x"})
    assert response.status_code == 200


def test_the_detail_costs_a_fixed_number_of_queries(api_client, drama, crime, rate, django_assert_num_queries):
    movie = MovieFactory.create(genres=[drama, crime])
    rate(movie, "1.0", "2.0", "3.0", "4.0", "5.0")
    global_mean_rating()
    # The movie with its genres and its distribution as subqueries: one statement.
    with django_assert_num_queries(1):
        assert api_client.get(detail_url(movie)).status_code == 200


def test_a_detail_miss_compiles_no_statement(api_client, monkeypatch):
    """The detail's statement is compiled once (per thread), not per request."""
    movies = MovieFactory.create_batch(2)
    global_mean_rating()
    assert api_client.get(detail_url(movies[0])).status_code == 200
    compiled = record_compilations(monkeypatch)
    assert api_client.get(detail_url(movies[1])).json()["id"] == movies[1].pk
    assert compiled == []
