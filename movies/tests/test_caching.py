"""Cached catalogue reads: hits and misses, versions kept apart, and writes seen at once."""

from decimal import Decimal

import pytest
from django.urls import reverse

from movies import signals
from movies.models import Genre, Movie
from movies.tests.factories import GenreFactory, MovieFactory
from movies.tests.helpers import V2

# Invalidation runs after commit, so these tests use real transactions.
pytestmark = pytest.mark.django_db(transaction=True)

LIST_URL = reverse("movie-list")
TOP_URL = reverse("movie-top")
GENRES_URL = reverse("genre-list")


def detail_url(movie) -> str:
    return reverse("movie-detail", kwargs={"pk": movie.pk})


@pytest.mark.parametrize("url", ["list", "top", "genres", "detail"])
def test_a_read_is_a_miss_then_a_hit(api_client, url):
    movie = MovieFactory.create(ratings_count=1, ratings_sum=Decimal("4.0"))
    path = {"list": LIST_URL, "top": TOP_URL, "genres": GENRES_URL, "detail": detail_url(movie)}[url]
    first, second = api_client.get(path), api_client.get(path)
    assert (first["X-Cache"], second["X-Cache"]) == ("MISS", "HIT")
    assert first.content == second.content
    assert first["ETag"] == second["ETag"]


def test_versions_are_cached_separately(api_client, drama):
    movie = MovieFactory.create(genres=[drama], ratings_count=1, ratings_sum=Decimal("4.0"))
    for path in (LIST_URL, detail_url(movie), TOP_URL):
        v1 = api_client.get(path)
        v2 = api_client.get(path, HTTP_ACCEPT=V2)
        assert v2["X-Cache"] == "MISS"
        assert api_client.get(path)["X-Cache"] == "HIT"
        assert api_client.get(path, HTTP_ACCEPT=V2).content == v2.content
        assert api_client.get(path).content == v1.content != v2.content
    assert "rating" in api_client.get(detail_url(movie), HTTP_ACCEPT=V2).json()
    assert "rating" not in api_client.get(detail_url(movie)).json()


def test_a_staff_patch_is_seen_by_the_next_detail_and_list_reads(api_client, curator_client):
    movie = MovieFactory.create(title="Heat")
    api_client.get(detail_url(movie))
    api_client.get(LIST_URL)
    assert curator_client.patch(detail_url(movie), {"title": "Heat (1995)"}, format="json").status_code == 200
    detail = api_client.get(detail_url(movie))
    assert (detail["X-Cache"], detail.json()["title"]) == ("MISS", "Heat (1995)")
    assert api_client.get(LIST_URL).json()["results"][0]["title"] == "Heat (1995)"


def test_a_new_movie_shows_in_the_lists_and_the_genre_counts(api_client, curator_client, drama):
    MovieFactory.create(ratings_count=1, ratings_sum=Decimal("3.0"))
    api_client.get(LIST_URL)
    api_client.get(GENRES_URL)
    curator_client.post(LIST_URL, {"title": "Heat", "genres": ["drama"]}, format="json")
    assert api_client.get(LIST_URL).json()["count"] == 2
    assert api_client.get(GENRES_URL).json() == [{"slug": "drama", "name": "Drama", "movies_count": 1}]


def test_the_cached_count_of_full_pages_follows_every_new_and_deleted_movie(api_client, curator_client):
    movies = MovieFactory.create_batch(4)
    for page in (1, 2, 1):  # the generations created, then the count cached and served
        assert api_client.get(LIST_URL, {"page_size": 2, "page": page, "ordering": "title"}).json()["count"] == 4
    assert curator_client.post(LIST_URL, {"title": "Heat"}, format="json").status_code == 201
    assert api_client.get(LIST_URL, {"page_size": 2, "page": 2}).json()["count"] == 5
    MovieFactory.create()  # outside the API: the model's signals invalidate the lists too
    assert api_client.get(LIST_URL, {"page_size": 2}).json()["count"] == 6
    assert curator_client.delete(detail_url(movies[0])).status_code == 204
    body = api_client.get(LIST_URL, {"page_size": 2, "page": 2}).json()
    assert (body["count"], body["next"]) == (5, f"{LIST_URL}?page_size=2&page=3")


def test_a_deleted_movie_leaves_every_list(api_client, curator_client, drama):
    movie = MovieFactory.create(genres=[drama], ratings_count=1, ratings_sum=Decimal("3.0"))
    for path in (LIST_URL, TOP_URL, GENRES_URL, detail_url(movie)):
        api_client.get(path)
    assert curator_client.delete(detail_url(movie)).status_code == 204
    assert api_client.get(LIST_URL).json()["count"] == 0
    assert api_client.get(TOP_URL).json() == []
    assert api_client.get(GENRES_URL).json()[0]["movies_count"] == 0
    assert api_client.get(detail_url(movie)).status_code == 404


def test_changing_a_movies_genres_outside_the_api_refreshes_it(api_client, drama, crime):
    movie = MovieFactory.create(genres=[drama])
    api_client.get(detail_url(movie))
    api_client.get(GENRES_URL)
    movie.genres.add(crime)
    assert sorted(api_client.get(detail_url(movie)).json()["genres"]) == ["Crime", "Drama"]
    assert {genre["slug"]: genre["movies_count"] for genre in api_client.get(GENRES_URL).json()}["crime"] == 1


def test_adding_movies_from_the_genre_side_refreshes_them(api_client, drama):
    movie = MovieFactory.create()
    api_client.get(detail_url(movie))
    drama.movies.add(movie)
    assert api_client.get(detail_url(movie)).json()["genres"] == ["Drama"]


def test_clearing_a_genre_from_the_genre_side_refreshes_its_movies(api_client, drama):
    movie = MovieFactory.create(genres=[drama])
    api_client.get(detail_url(movie))
    drama.movies.clear()
    assert api_client.get(detail_url(movie)).json()["genres"] == []


def test_renaming_a_genre_refreshes_every_movie_showing_it(api_client, drama):
    movie = MovieFactory.create(genres=[drama])
    api_client.get(detail_url(movie))
    api_client.get(LIST_URL)
    drama.name = "Melodrama"
    drama.save()
    assert api_client.get(detail_url(movie)).json()["genres"] == ["Melodrama"]
    assert api_client.get(LIST_URL).json()["results"][0]["genres"] == ["Melodrama"]


def test_deleting_a_genre_refreshes_every_movie_showing_it(api_client, drama):
    movie = MovieFactory.create(genres=[drama])
    api_client.get(detail_url(movie))
    drama.delete()
    assert api_client.get(detail_url(movie)).json()["genres"] == []


def test_a_new_genre_shows_in_the_genre_list(api_client, curator_client):
    api_client.get(GENRES_URL)
    curator_client.post(GENRES_URL, {"name": "Western"}, format="json")
    assert [genre["name"] for genre in api_client.get(GENRES_URL).json()] == ["Western"]


def test_fixture_loads_invalidate_nothing(monkeypatch):
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(signals, "invalidate_on_commit", lambda *tags: calls.append(tags))
    signals.movie_saved(Movie, Movie(pk=1, title="Heat"), created=True, raw=True)
    signals.genre_saved(Genre, GenreFactory.build(), created=True, raw=True)
    assert calls == []


def test_an_admin_edit_is_seen_by_the_next_read(api_client, client, curator, drama):
    movie = MovieFactory.create(title="Heat", year=1995)
    api_client.get(detail_url(movie))
    api_client.get(LIST_URL)
    client.force_login(curator)
    response = client.post(
        reverse("admin:movies_movie_change", args=[movie.pk]), {"title": "Heat", "year": "1996", "genres": [drama.pk]}
    )
    assert response.status_code == 302
    detail = api_client.get(detail_url(movie)).json()
    assert (detail["year"], detail["genres"]) == (1996, ["Drama"])
    assert api_client.get(LIST_URL).json()["results"][0]["year"] == 1996


def test_an_admin_delete_is_seen_by_the_next_read(api_client, client, curator):
    movie = MovieFactory.create()
    api_client.get(detail_url(movie))
    api_client.get(LIST_URL)
    client.force_login(curator)
    assert client.post(reverse("admin:movies_movie_delete", args=[movie.pk]), {"post": "yes"}).status_code == 302
    assert api_client.get(detail_url(movie)).status_code == 404
    assert api_client.get(LIST_URL).json()["count"] == 0
