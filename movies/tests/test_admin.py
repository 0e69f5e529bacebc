from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from movies.models import Genre, Movie
from movies.tests.factories import GenreFactory, MovieFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:movies_movie_changelist")


@pytest.fixture
def curator_admin(client, curator):
    """The admin, logged in as a curator (staff with the catalogue permissions only)."""
    client.force_login(curator)
    return client


def listed(response) -> list[str]:
    assert response.status_code == 200
    return [str(movie) for movie in response.context["cl"].result_list]


def test_the_changelist_shows_title_year_genres_and_statistics(curator_admin, drama, crime):
    MovieFactory.create(title="Heat", year=1995, genres=[drama, crime], ratings_count=4, ratings_sum=Decimal("15.0"))
    html = curator_admin.get(CHANGELIST).content.decode()
    for text in ("Heat", "1995", "Drama", "Crime", "3.75", ">4<"):
        assert text in html


def test_the_changelist_costs_the_same_queries_whatever_its_size(curator_admin, drama, crime):
    counts = []
    for size in (3, 40):
        MovieFactory.create_batch(size - Movie.objects.count(), genres=[drama, crime])
        with CaptureQueriesContext(connection) as queries:
            assert curator_admin.get(CHANGELIST).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_changelist_query_count_is_pinned(curator_admin, drama, crime, django_assert_num_queries):
    MovieFactory.create_batch(25, genres=[drama, crime])
    # The session, the user and their two kinds of permissions, the genre filter's choices,
    # the result count and the full count, the page, and the page's genres.
    with django_assert_num_queries(9):
        assert curator_admin.get(CHANGELIST).status_code == 200


@pytest.mark.parametrize(
    ("term", "expected"),
    [("heat", ["Heat (1995)"]), ("tt0113277", ["Heat (1995)"]), ("949", ["Heat (1995)"]), ("6", ["Heat (1995)"])],
)
def test_search_finds_movies_by_title_and_ids(curator_admin, term, expected):
    MovieFactory.create(title="Heat", year=1995, imdb_id="tt0113277", tmdb_id=949, movielens_id=6)
    MovieFactory.create(title="Alien", year=1979, imdb_id="tt0078748", tmdb_id=348, movielens_id=1214)
    assert listed(curator_admin.get(CHANGELIST, {"q": term})) == expected


def test_a_search_that_is_no_number_does_not_break_the_id_lookups(curator_admin):
    MovieFactory.create(title="Heat", year=1995, tmdb_id=949)
    assert listed(curator_admin.get(CHANGELIST, {"q": "Heat"})) == ["Heat (1995)"]


def test_movies_filter_by_genre(curator_admin, drama):
    MovieFactory.create(title="Heat", year=1995, genres=[drama])
    MovieFactory.create(title="Alien", year=1979)
    assert listed(curator_admin.get(CHANGELIST, {"genres__id__exact": drama.pk})) == ["Heat (1995)"]


def test_movies_filter_by_decade(curator_admin):
    MovieFactory.create(title="Heat", year=1995)
    MovieFactory.create(title="Se7en", year=1990)
    MovieFactory.create(title="Alien", year=1979)
    MovieFactory.create(title="Untitled", year=None)
    assert listed(curator_admin.get(CHANGELIST, {"decade": "1990"})) == ["Heat (1995)", "Se7en (1990)"]
    assert listed(curator_admin.get(CHANGELIST, {"decade": "unknown"})) == ["Untitled"]
    html = curator_admin.get(CHANGELIST).content.decode()
    assert "1870s" in html
    assert "1990s" in html


def test_a_malformed_decade_is_ignored(curator_admin):
    MovieFactory.create(title="Heat", year=1995)
    response = curator_admin.get(CHANGELIST, {"decade": "nineties"})
    assert response.status_code == 200


def test_a_curator_adds_a_movie_with_genres_picked_by_autocomplete(curator_admin, drama):
    response = curator_admin.post(
        reverse("admin:movies_movie_add"),
        {"title": "Heat", "year": "1995", "genres": [drama.pk], "imdb_id": "", "tmdb_id": ""},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    movie = Movie.objects.get(title="Heat")
    assert list(movie.genres.all()) == [drama]
    assert movie.ratings_count == 0


def test_the_genre_picker_is_an_autocomplete_that_searches_genres(curator_admin, drama):
    GenreFactory.create(name="Crime")
    html = curator_admin.get(reverse("admin:movies_movie_add")).content.decode()
    assert "admin-autocomplete" in html
    response = curator_admin.get(
        reverse("admin:autocomplete"),
        {"app_label": "movies", "model_name": "movie", "field_name": "genres", "term": "dra"},
    )
    assert [result["text"] for result in response.json()["results"]] == ["Drama"]


def test_statistics_are_read_only_in_the_admin(curator_admin):
    movie = MovieFactory.create(title="Heat", ratings_count=4, ratings_sum=Decimal("15.0"))
    url = reverse("admin:movies_movie_change", args=[movie.pk])
    html = curator_admin.get(url).content.decode()
    assert 'name="ratings_count"' not in html
    assert "3.75" in html
    response = curator_admin.post(url, {"title": "Heat!", "genres": [], "ratings_count": "0", "ratings_sum": "0"})
    assert response.status_code == 302
    movie.refresh_from_db()
    assert (movie.title, movie.ratings_count, movie.ratings_sum) == ("Heat!", 4, Decimal("15.0"))


def test_the_delete_page_summarises_the_ratings_instead_of_listing_them(curator_admin, rate):
    movie = MovieFactory.create(title="Heat", year=1995)
    rate(movie, "4.0", "3.0")
    url = reverse("admin:movies_movie_delete", args=[movie.pk])
    html = curator_admin.get(url).content.decode()
    assert "Heat (1995) and its 2 ratings" in html
    assert curator_admin.post(url, {"post": "yes"}).status_code == 302
    assert not Movie.objects.exists()


def test_movies_are_deleted_in_bulk_from_the_changelist(curator_admin, rate):
    movies = MovieFactory.create_batch(2)
    rate(movies[0], "5.0")
    body = {"action": "delete_selected", "_selected_action": [movie.pk for movie in movies]}
    confirmation = curator_admin.post(CHANGELIST, body)
    assert "Ratings: 1" in confirmation.content.decode()
    assert curator_admin.post(CHANGELIST, {**body, "post": "yes"}).status_code == 302
    assert not Movie.objects.exists()


def test_the_genre_slug_is_prefilled_from_the_name(curator_admin):
    html = curator_admin.get(reverse("admin:movies_genre_add")).content.decode()
    assert "prepopulated" in html


def test_a_genre_name_taken_in_another_letter_case_is_refused(curator_admin, drama):
    response = curator_admin.post(reverse("admin:movies_genre_add"), {"name": "DRAMA", "slug": "drama-2"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert Genre.objects.count() == 1


def test_the_genre_changelist_counts_movies(curator_admin, drama):
    MovieFactory.create_batch(3, genres=[drama])
    response = curator_admin.get(reverse("admin:movies_genre_changelist"))
    assert response.context["cl"].result_list[0].movies_count == 3
