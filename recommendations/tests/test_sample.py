"""Sensible answers on real data: the MovieLens sample (settings.MOVIELENS_DIR), imported once per module.

The import rebuilds the model itself (tasks run in-process in the test settings), as after
`import_movielens` in production.
"""

from collections import Counter
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from conftest import client_for
from movies.models import Genre, Movie
from ratings.models import Rating
from recommendations.models import MovieSimilarity, SimilarityModel
from recommendations.tests.conftest import rate
from users.models import User
from users.tests.factories import UserFactory

RECOMMENDATIONS = reverse("my-recommendations")


@pytest.fixture(scope="module")
def sample(django_db_setup, django_db_blocker) -> Iterator[Path]:
    folder = Path(settings.MOVIELENS_DIR) if settings.MOVIELENS_DIR else None
    if folder is None or not (folder / "ratings.csv").is_file():
        pytest.skip("set MOVIELENS_DIR to a MovieLens release folder (e.g. ../shared/data/movielens/ml-latest-small)")
    with django_db_blocker.unblock():
        out = StringIO()
        call_command("import_movielens", str(folder), stdout=out, stderr=StringIO())
        assert "Similar movies: model rebuilt." in out.getvalue()
    yield folder
    with django_db_blocker.unblock():
        # Committed outside the tests' transactions: remove it so later tests start empty.
        MovieSimilarity.objects.all().delete()
        SimilarityModel.objects.all().delete()
        Rating.objects.all()._raw_delete(Rating.objects.db)
        Movie.genres.through.objects.all().delete()
        Movie.objects.all()._raw_delete(Movie.objects.db)
        Genre.objects.all().delete()
        User.objects.filter(username__startswith="movielens-")._raw_delete(User.objects.db)


def similar_titles(client, title: str, limit: int = 10) -> list[dict]:
    movie = Movie.objects.get(title=title)
    response = client.get(reverse("movie-similar", kwargs={"movie_id": movie.pk}), {"limit": limit})
    assert response.status_code == 200
    return response.json()


@pytest.mark.django_db
def test_toy_storys_neighbours_are_animated_family_films_of_its_era(sample, api_client):
    similar = similar_titles(api_client, "Toy Story", limit=10)
    family = [m for m in similar if {"Animation", "Children"} <= set(m["genres"]) and 1985 <= m["year"] <= 2005]
    assert len(family) >= 4, [m["title"] for m in similar]
    assert "Toy Story 2" in [m["title"] for m in similar[:3]]


@pytest.mark.django_db
def test_toy_storys_neighbours_are_not_just_the_most_popular_movies(sample, api_client):
    similar = {m["title"] for m in similar_titles(api_client, "Toy Story", limit=10)}
    most_rated = set(
        Movie.objects.exclude(title="Toy Story").order_by("-ratings_count").values_list("title", flat=True)[:10]
    )
    assert len(similar & most_rated) <= 5, similar & most_rated


@pytest.mark.django_db
def test_a_fan_of_horror_gets_horror_heavy_recommendations(sample):
    """A fan who gave five stars to the eight most rated films that are horror and nothing else
    (suspense and mystery aside) and rated nothing else."""
    other_genres = Genre.objects.exclude(name__in=["Horror", "Thriller", "Mystery"]).values("name")
    horror = list(
        Movie.objects.filter(genres__name="Horror").exclude(genres__name__in=other_genres)
        .order_by("-ratings_count", "pk")[:8]
    )  # fmt: skip
    assert len(horror) == 8
    fan = UserFactory.create()
    for movie in horror:
        rate(fan, movie, 5)
    body = client_for(fan).get(RECOMMENDATIONS, {"limit": 10}).json()
    assert body["strategy"] == "personal"
    genres = Counter(genre for movie in body["results"] for genre in set(movie["genres"]))
    horror_share = sum("Horror" in movie["genres"] for movie in body["results"]) / len(body["results"])
    assert horror_share >= 0.5, [(m["title"], m["genres"]) for m in body["results"]]
    assert genres.most_common(1)[0][0] in {"Horror", "Thriller"}
    rated_ids = {movie.pk for movie in horror}
    assert not rated_ids & {movie["id"] for movie in body["results"]}
    for movie in body["results"]:
        assert 1 <= len(movie["because"]) <= 3
        assert {reason["id"] for reason in movie["because"]} <= rated_ids


@pytest.mark.django_db
def test_a_newcomer_gets_the_popular_list_without_what_they_rated(sample):
    newcomer = UserFactory.create()
    top = Movie.objects.order_by("-ratings_count").first()
    assert top is not None
    rate(newcomer, top, 5)
    body = client_for(newcomer).get(RECOMMENDATIONS).json()
    assert body["strategy"] == "popular"
    assert len(body["results"]) == 20
    assert top.pk not in [movie["id"] for movie in body["results"]]
    assert all(movie["because"] == [] for movie in body["results"])


@pytest.mark.django_db
def test_the_model_beats_the_popularity_baselines_offline(sample):
    out = StringIO()
    call_command("evaluate_recommendations", "--seeds", "1", "--require-better", stdout=out)
    assert "hit rate at 10, model:" in out.getvalue()
