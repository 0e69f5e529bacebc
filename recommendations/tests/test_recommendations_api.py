"""`GET /api/users/me/recommendations/`: personal from the caller's current ratings, else popular."""

from decimal import Decimal

import pytest
from django.urls import reverse

from conftest import assert_problem, client_for
from movies.tests.factories import MovieFactory
from movies.tests.helpers import V2
from recommendations.models import MovieSimilarity, SimilarityModel
from recommendations.services import similarity_model_build
from recommendations.tests.conftest import rate
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("my-recommendations")


@pytest.fixture
def catalogue(db):
    """Five movies the caller will rate, three candidates and an active model linking them.

    `liked_match` has rated[0..3] among its neighbours, rated[3] (rated low) being the weakest;
    `disliked_match` has rated[3]; `far` has rated[4] only, weakly.
    """
    rated = [MovieFactory.create(title=f"Seen {n}") for n in range(5)]
    liked_match = MovieFactory.create(title="Liked match", ratings_count=30, ratings_sum=Decimal("150.0"))
    disliked_match = MovieFactory.create(title="Disliked match", ratings_count=50, ratings_sum=Decimal("240.0"))
    far = MovieFactory.create(title="Far", ratings_count=1, ratings_sum=Decimal("2.0"))
    model = SimilarityModel.objects.create(is_active=True)
    links = [
        (rated[0], liked_match, 0.9),
        (rated[1], liked_match, 0.6),
        (rated[2], liked_match, 0.3),
        (rated[3], liked_match, 0.1),
        (rated[3], disliked_match, 0.9),
        (rated[4], far, 0.05),
        (rated[0], rated[1], 0.95),
    ]
    MovieSimilarity.objects.bulk_create(
        MovieSimilarity(model=model, movie=target, neighbour=source, rank=rank, similarity=similarity)
        for rank, (source, target, similarity) in enumerate(links, start=1)
    )
    return {"rated": rated, "liked_match": liked_match, "disliked_match": disliked_match, "far": far}


@pytest.fixture
def rater(catalogue):
    user = UserFactory.create()
    for movie, score in zip(catalogue["rated"], [5, 5, 4.5, 1, 5], strict=True):
        rate(user, movie, score)
    return user


def test_a_caller_with_enough_ratings_gets_personal_recommendations_with_reasons(rater, catalogue):
    body = client_for(rater).get(URL).json()
    assert body["strategy"] == "personal"
    assert [movie["title"] for movie in body["results"]] == ["Liked match", "Far"]
    seen = catalogue["rated"]
    assert body["results"][0]["because"] == [{"id": m.pk, "title": m.title} for m in (seen[0], seen[1], seen[2])]
    assert body["results"][1]["because"] == [{"id": seen[4].pk, "title": seen[4].title}]


def test_version_1_items_are_the_list_shape_with_because(rater):
    (item, *_) = client_for(rater).get(URL).json()["results"]
    assert set(item) == {
        "id", "title", "year", "genres", "imdb_id", "tmdb_id", "average_rating", "ratings_count",
        "weighted_rating", "created_at", "updated_at", "because",
    }  # fmt: skip


def test_version_2_items_are_the_version_2_list_shape_with_because(rater):
    body = client_for(rater).get(URL, HTTP_ACCEPT=V2).json()
    assert set(body) == {"strategy", "results"}
    assert set(body["results"][0]) == {"id", "title", "year", "genres", "imdb_id", "tmdb_id", "rating", "created_at",
                                       "updated_at", "because"}  # fmt: skip
    assert set(body["results"][0]["rating"]) == {"average", "count", "weighted"}


def test_a_new_rating_counts_at_once_without_a_rebuild(rater, catalogue):
    client = client_for(rater)
    assert "Liked match" in [movie["title"] for movie in client.get(URL).json()["results"]]
    rate(rater, catalogue["liked_match"], 4)
    assert "Liked match" not in [movie["title"] for movie in client.get(URL).json()["results"]]


def test_fewer_than_five_ratings_get_the_top_list_minus_what_they_rated(catalogue):
    user = UserFactory.create()
    for movie in catalogue["rated"][:3]:
        rate(user, movie, 5)
    rate(user, catalogue["disliked_match"], 5)
    body = client_for(user).get(URL).json()
    assert body["strategy"] == "popular"
    titles = [movie["title"] for movie in body["results"]]
    assert "Disliked match" not in titles
    assert not {"Seen 0", "Seen 1", "Seen 2"} & set(titles)
    assert titles[0] == "Liked match"  # the best weighted rating among the unrated ones
    assert all(movie["because"] == [] for movie in body["results"])


def test_a_caller_without_ratings_gets_the_popular_list(catalogue, user_client):
    body = user_client.get(URL).json()
    assert body["strategy"] == "popular"
    # By weighted rating; the movies nobody rated are left out, as in the top list.
    assert [movie["title"] for movie in body["results"]] == ["Liked match", "Disliked match", "Far"]


def test_enough_ratings_the_model_cannot_use_get_the_popular_list(db):
    user = UserFactory.create()
    for movie in MovieFactory.create_batch(6):
        rate(user, movie, 5)
    body = client_for(user).get(URL).json()
    assert body["strategy"] == "popular"
    assert body["results"] == []  # everything rated: nothing left to suggest


def test_without_an_active_model_everyone_gets_the_popular_list(rater):
    SimilarityModel.objects.update(is_active=False)
    assert client_for(rater).get(URL).json()["strategy"] == "popular"


def test_limit_caps_the_results_and_is_clamped_to_100(rater):
    client = client_for(rater)
    assert len(client.get(URL, {"limit": 1}).json()["results"]) == 1
    assert client.get(URL, {"limit": 10_000}).status_code == 200


@pytest.mark.parametrize("limit", ["0", "abc", "-3", "2.0"])
def test_a_bad_limit_is_a_400_naming_limit(user_client, limit):
    body = assert_problem(user_client.get(URL, {"limit": limit}), 400)
    assert [error["field"] for error in body["errors"]] == ["limit"]


def test_recommendations_need_authentication(api_client):
    assert_problem(api_client.get(URL), 401)


def test_recommendations_are_private_and_never_cached(rater):
    response = client_for(rater).get(URL)
    assert "X-Cache" not in response
    assert response["Cache-Control"] == "no-store"


def test_personal_recommendations_cost_a_fixed_number_of_queries(rater, catalogue, django_assert_num_queries):
    client = client_for(rater)
    client.get(URL)  # caches the global mean and the token's user (users.authstate)
    # Their ratings, the neighbour rows, the movies, their genres, the reasons' titles.
    with django_assert_num_queries(5):
        assert client.get(URL).json()["strategy"] == "personal"
    for movie in MovieFactory.create_batch(30):
        MovieSimilarity.objects.create(
            model=SimilarityModel.objects.get(is_active=True), movie=movie, neighbour=catalogue["rated"][0], rank=1,
            similarity=0.5,
        )  # fmt: skip
    with django_assert_num_queries(5):
        client.get(URL, {"limit": 100})


def test_popular_recommendations_cost_a_fixed_number_of_queries(user_client, catalogue, django_assert_num_queries):
    user_client.get(URL)  # caches the token's user (users.authstate)
    # Their ratings, the top movies, their genres.
    with django_assert_num_queries(3):
        assert user_client.get(URL).json()["strategy"] == "popular"


def test_recommendations_follow_a_real_build(taste):
    """End to end on the small taste fixture: a Heat fan who has not seen Ronin is offered it."""
    fan = UserFactory.create()
    for movie, score in ((taste["heat"], 5), (taste["notebook"], 1)):
        rate(fan, movie, score)
    for extra in MovieFactory.create_batch(3):
        rate(fan, extra, 3)
    similarity_model_build()
    body = client_for(fan).get(URL).json()
    assert body["strategy"] == "personal"
    assert body["results"][0]["title"] == "Ronin"
    assert body["results"][0]["because"] == [{"id": taste["heat"].pk, "title": "Heat"}]
