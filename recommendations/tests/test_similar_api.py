"""`GET /api/movies/{id}/similar/`: the active model's neighbours, both versions, cached until a rebuild."""

import pytest
from django.urls import reverse

from conftest import assert_problem
from movies.tests.factories import MovieFactory
from movies.tests.helpers import V2
from recommendations.models import MovieSimilarity, SimilarityModel
from recommendations.services import similarity_model_build
from recommendations.tests.conftest import rate

pytestmark = pytest.mark.django_db


def url(movie) -> str:
    return reverse("movie-similar", kwargs={"movie_id": movie if isinstance(movie, int) else movie.pk})


def test_a_movie_lists_the_movies_rated_alike_best_first(api_client, taste):
    similarity_model_build()
    response = api_client.get(url(taste["heat"]))
    assert response.status_code == 200
    body = response.json()
    assert [movie["title"] for movie in body] == ["Ronin"]
    assert 0 < body[0]["similarity"] <= 1


def test_each_item_is_the_version_1_list_shape_with_a_similarity(api_client, taste):
    similarity_model_build()
    (item,) = api_client.get(url(taste["heat"])).json()
    assert set(item) == {
        "id", "title", "year", "genres", "imdb_id", "tmdb_id", "average_rating", "ratings_count",
        "weighted_rating", "created_at", "updated_at", "similarity",
    }  # fmt: skip
    assert item["genres"] == ["Action"]
    assert item["ratings_count"] == 6


def test_version_2_items_group_the_statistics_and_give_genre_objects(api_client, taste):
    similarity_model_build()
    (item,) = api_client.get(url(taste["heat"]), HTTP_ACCEPT=V2).json()
    assert set(item) == {"id", "title", "year", "genres", "imdb_id", "tmdb_id", "rating", "created_at", "updated_at",
                         "similarity"}  # fmt: skip
    assert item["genres"] == [{"slug": "action", "name": "Action"}]
    assert set(item["rating"]) == {"average", "count", "weighted"}


def test_without_a_model_or_without_neighbours_the_list_is_empty(api_client, taste):
    assert api_client.get(url(taste["heat"])).json() == []
    similarity_model_build()
    assert api_client.get(url(taste["lonely"])).json() == []
    assert api_client.get(url(taste["notebook"])).json() == []  # only negatively correlated movies


def test_an_unknown_movie_is_a_404(api_client, taste):
    assert_problem(api_client.get(url(999_999)), 404)


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "1.5", "\x00"])
def test_a_bad_limit_is_a_400_naming_limit(api_client, taste, limit):
    body = assert_problem(api_client.get(url(taste["heat"]), {"limit": limit}), 400)
    assert [error["field"] for error in body["errors"]] == ["limit"]


def test_limit_defaults_to_10_and_is_clamped_to_50(api_client, db):
    center = MovieFactory.create(title="Center")
    others = MovieFactory.create_batch(60)
    model = SimilarityModel.objects.create(is_active=True)
    MovieSimilarity.objects.bulk_create(
        MovieSimilarity(model=model, movie=center, neighbour=other, rank=rank, similarity=1 / rank)
        for rank, other in enumerate(others, start=1)
    )
    assert len(api_client.get(url(center)).json()) == 10
    clamped = api_client.get(url(center), {"limit": 500}).json()
    assert [movie["id"] for movie in clamped] == [movie.pk for movie in others[:50]]
    assert len(api_client.get(url(center), {"limit": 3}).json()) == 3


def test_only_the_active_model_is_read(api_client, db):
    center, old, new = MovieFactory.create_batch(3)
    MovieSimilarity.objects.create(model=SimilarityModel.objects.create(), movie=center, neighbour=old, rank=1,
                                   similarity=0.9)  # fmt: skip
    active = SimilarityModel.objects.create(is_active=True)
    MovieSimilarity.objects.create(model=active, movie=center, neighbour=new, rank=1, similarity=0.5)
    assert [movie["id"] for movie in api_client.get(url(center)).json()] == [new.pk]


@pytest.mark.django_db(transaction=True)  # invalidation runs after commit
def test_the_list_is_cached_until_a_rebuild_swaps_in_a_new_model(api_client, taste):
    similarity_model_build()
    assert api_client.get(url(taste["heat"]))["X-Cache"] == "MISS"
    assert api_client.get(url(taste["heat"]))["X-Cache"] == "HIT"

    # Raters who liked Heat now like Lonely too: the list shows it only once the model is rebuilt.
    for user in taste["raters"][:3]:
        rate(user, taste["lonely"], 5)
    for user in taste["raters"][3:5]:
        rate(user, taste["lonely"], 1)
    api_client.get(url(taste["heat"]))
    stale = api_client.get(url(taste["heat"]))
    assert stale["X-Cache"] == "HIT"
    assert [movie["title"] for movie in stale.json()] == ["Ronin"]

    similarity_model_build()
    fresh = api_client.get(url(taste["heat"]))
    assert fresh["X-Cache"] == "MISS"
    assert "Lonely" in [movie["title"] for movie in fresh.json()]


def test_a_cache_hit_does_not_touch_the_database(api_client, taste, django_assert_num_queries):
    similarity_model_build()
    api_client.get(url(taste["heat"]))
    with django_assert_num_queries(0):
        assert api_client.get(url(taste["heat"]))["X-Cache"] == "HIT"


def test_a_miss_costs_the_same_queries_whatever_the_list_size(api_client, db, django_assert_num_queries):
    center = MovieFactory.create()
    model = SimilarityModel.objects.create(is_active=True)
    for size in (2, 40):
        others = MovieFactory.create_batch(size)
        MovieSimilarity.objects.filter(model=model).delete()
        MovieSimilarity.objects.bulk_create(
            MovieSimilarity(model=model, movie=center, neighbour=other, rank=rank, similarity=0.5)
            for rank, other in enumerate(others, start=1)
        )
        api_client.get(url(center), {"limit": 1})  # caches the global mean
        # The movie's existence, its neighbours joined to the movies (one indexed query), their genres.
        with django_assert_num_queries(3):
            response = api_client.get(url(center), {"limit": 50, "size": size})
        assert len(response.json()) == size
