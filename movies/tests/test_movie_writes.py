import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import client_for
from movies import services
from movies.models import Movie
from movies.selectors import global_mean_rating
from movies.tests.factories import GenreFactory, MovieFactory
from movies.tests.helpers import V2
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("movie-list")
NEXT_YEAR = datetime.date.today().year + 1


def detail_url(movie) -> str:
    return reverse("movie-detail", kwargs={"pk": movie.pk})


def error_fields(response) -> list[str]:
    assert response.status_code == 400, response.content
    return [error["field"] for error in response.json()["errors"]]


# --- Create ---------------------------------------------------------------------------------


def test_a_curator_adds_a_movie_and_gets_its_detail_back(curator_client, drama, crime):
    body = {"title": "Heat", "year": 1995, "genres": ["drama", "Crime"], "imdb_id": "tt0113277", "tmdb_id": 949}
    response = curator_client.post(LIST_URL, body, format="json")
    assert response.status_code == 201
    created = response.json()
    movie = Movie.objects.get(pk=created["id"])
    assert (movie.title, movie.year, movie.imdb_id, movie.tmdb_id) == ("Heat", 1995, "tt0113277", 949)
    assert set(movie.genres.all()) == {drama, crime}
    assert sorted(created["genres"]) == ["Crime", "Drama"]
    assert created["ratings_count"] == 0
    assert created["average_rating"] is None
    assert set(created["distribution"].values()) == {0}


def test_the_write_response_uses_the_negotiated_version(curator_client, drama):
    response = curator_client.post(LIST_URL, {"title": "Heat", "genres": ["drama"]}, format="json", HTTP_ACCEPT=V2)
    assert response.status_code == 201
    assert response.json()["genres"] == [{"slug": "drama", "name": "Drama"}]
    assert response.json()["rating"]["count"] == 0


def test_only_the_title_is_required(curator_client):
    response = curator_client.post(LIST_URL, {"title": "Heat"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["year"], body["genres"], body["imdb_id"], body["tmdb_id"]) == (None, [], None, None)


def test_genres_resolve_by_name_or_slug_in_any_case_and_repeat_once(curator_client):
    scifi = GenreFactory.create(name="Science Fiction", slug="sci-fi")
    response = curator_client.post(
        LIST_URL, {"title": "Alien", "genres": ["SCI-FI", "science fiction", " Sci-Fi "]}, format="json"
    )
    assert response.status_code == 201
    assert list(Movie.objects.get(pk=response.json()["id"]).genres.all()) == [scifi]


def test_a_name_wins_over_another_genres_identical_slug(curator_client):
    named = GenreFactory.create(name="noir", slug="noir-classics")
    GenreFactory.create(name="Film Noir", slug="noir")
    response = curator_client.post(LIST_URL, {"title": "Chinatown", "genres": ["Noir"]}, format="json")
    assert list(Movie.objects.get(pk=response.json()["id"]).genres.all()) == [named]


def test_genres_are_resolved_in_one_query(curator_client):
    names = [GenreFactory.create().name for _ in range(8)]

    def post(title: str, genres: list[str]) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert curator_client.post(LIST_URL, {"title": title, "genres": genres}, format="json").status_code == 201
        return [query["sql"] for query in captured.captured_queries]

    global_mean_rating()  # warm C so that both writes read it from the cache
    curator_client.get(LIST_URL)  # and the curator's user (users.authstate)
    one, eight = post("One", names[:1]), post("Eight", names)
    assert len(eight) == len(one)
    assert len([sql for sql in eight if 'FROM "movies_genre"' in sql and "LOWER(" in sql]) == 1


def test_an_unknown_genre_is_a_400_naming_genres_and_the_value(curator_client, drama):
    response = curator_client.post(LIST_URL, {"title": "Heat", "genres": ["Drama", "Heist"]}, format="json")
    assert error_fields(response) == ["genres"]
    assert "'Heist'" in response.json()["errors"][0]["message"]
    assert not Movie.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": None}, "title"),
        ({"title": "x" * 501}, "title"),
        ({"title": "Heat", "year": 1869}, "year"),
        ({"title": "Heat", "year": NEXT_YEAR + 1}, "year"),
        ({"title": "Heat", "year": "nineteen"}, "year"),
        ({"title": "Heat", "genres": "Drama"}, "genres"),
        ({"title": "Heat", "genres": None}, "genres"),
        ({"title": "Heat", "imdb_id": "tt011327"}, "imdb_id"),
        ({"title": "Heat", "imdb_id": "nm0113277"}, "imdb_id"),
        ({"title": "Heat", "imdb_id": "0113277"}, "imdb_id"),
        ({"title": "Heat", "imdb_id": "tt0113277x"}, "imdb_id"),
        ({"title": "Heat", "tmdb_id": 0}, "tmdb_id"),
        ({"title": "Heat", "tmdb_id": -5}, "tmdb_id"),
        ({"title": "Heat", "tmdb_id": "abc"}, "tmdb_id"),
        ({"title": "Heat", "tmdb_id": 2**31}, "tmdb_id"),
    ],
)
def test_invalid_fields_are_a_400_naming_them(curator_client, body, field):
    assert error_fields(curator_client.post(LIST_URL, body, format="json")) == [field]


@pytest.mark.parametrize(
    ("field", "value", "code", "message"),
    [
        ("year", 1800, "min_value", f"Give a year from 1870 to {NEXT_YEAR}."),
        ("year", 2100, "max_value", f"Give a year from 1870 to {NEXT_YEAR}."),
        ("tmdb_id", 0, "min_value", "A TMDB id is a whole number from 1 to 2147483647."),
        ("tmdb_id", 99999999999, "max_value", "A TMDB id is a whole number from 1 to 2147483647."),
        ("imdb_id", "nope", "invalid", "An IMDb id is `tt` and at least 7 digits, e.g. tt0114814."),
        ("title", 42, "invalid", "Send this as a JSON string."),
    ],
)
def test_each_kind_of_limit_has_one_code_and_a_message_saying_what_to_send(curator_client, field, value, code, message):
    response = curator_client.post(LIST_URL, {"title": "Heat", field: value}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": field, "code": code, "message": message}]


def test_a_movie_read_back_can_be_written_back_unchanged(curator_client, drama):
    heat = MovieFactory.create(title="Heat", year=1995, genres=[drama], imdb_id="tt0113277", tmdb_id=949)
    body = curator_client.get(detail_url(heat)).json()
    writable = {key: body[key] for key in ("title", "year", "genres", "imdb_id", "tmdb_id")}
    assert curator_client.put(detail_url(heat), writable, format="json").status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [("year", 1870), ("year", NEXT_YEAR), ("year", None), ("imdb_id", "tt12345678"), ("tmdb_id", None)],
)
def test_boundary_values_are_accepted(curator_client, field, value):
    response = curator_client.post(LIST_URL, {"title": "Heat", field: value}, format="json")
    assert response.status_code == 201
    assert response.json()[field] == value


def test_a_blank_imdb_id_means_none(curator_client):
    response = curator_client.post(LIST_URL, {"title": "Heat", "imdb_id": ""}, format="json")
    assert response.json()["imdb_id"] is None


def test_a_taken_imdb_id_is_a_400_naming_it(curator_client):
    MovieFactory.create(imdb_id="tt0113277")
    response = curator_client.post(LIST_URL, {"title": "Heat", "imdb_id": "tt0113277"}, format="json")
    assert error_fields(response) == ["imdb_id"]


def test_an_imdb_id_taken_by_a_concurrent_insert_is_a_validation_error(db):
    # The serializer's check passed; another request then inserted the same id first.
    MovieFactory.create(imdb_id="tt0113277")
    with pytest.raises(ValidationError) as raised:
        services.movie_create(title="Heat", imdb_id="tt0113277")
    assert "imdb_id" in raised.value.message_dict
    assert Movie.objects.count() == 1


def test_other_integrity_errors_are_not_disguised_as_a_taken_imdb_id(db):
    with pytest.raises(IntegrityError):
        services.movie_create(title="Heat", tmdb_id=0)


# --- Update -------------------------------------------------------------------------------


@pytest.fixture
def heat(drama, crime):
    return MovieFactory.create(
        title="Heat",
        year=1995,
        genres=[drama, crime],
        imdb_id="tt0113277",
        tmdb_id=949,
        ratings_count=3,
        ratings_sum=Decimal("12.0"),
    )


def test_put_replaces_the_movie_and_empties_omitted_fields(curator_client, heat):
    response = curator_client.put(detail_url(heat), {"title": "Heat (1995)"}, format="json")
    assert response.status_code == 200
    heat.refresh_from_db()
    assert (heat.title, heat.year, heat.imdb_id, heat.tmdb_id) == ("Heat (1995)", None, None, None)
    assert not heat.genres.exists()
    assert response.json()["genres"] == []


def test_patch_changes_only_the_given_fields(curator_client, heat, drama):
    response = curator_client.patch(detail_url(heat), {"year": 1996, "genres": ["drama"]}, format="json")
    assert response.status_code == 200
    heat.refresh_from_db()
    assert (heat.title, heat.year, heat.imdb_id, heat.tmdb_id) == ("Heat", 1996, "tt0113277", 949)
    assert list(heat.genres.all()) == [drama]


def test_patch_without_genres_keeps_them(curator_client, heat):
    curator_client.patch(detail_url(heat), {"title": "Heat!"}, format="json")
    assert heat.genres.count() == 2


def test_catalogue_edits_leave_the_statistics_alone(curator_client, heat):
    # A rating written after the movie was read must not be overwritten by a stale copy.
    Movie.objects.filter(pk=heat.pk).update(ratings_count=4, ratings_sum=Decimal("17.0"))
    response = curator_client.patch(
        detail_url(heat), {"title": "Heat!", "ratings_count": 0, "average_rating": 1}, format="json"
    )
    assert response.json()["ratings_count"] == 4
    heat.refresh_from_db()
    assert (heat.ratings_count, heat.ratings_sum) == (4, Decimal("17.0"))


def test_a_movie_keeps_its_own_imdb_id(curator_client, heat):
    response = curator_client.put(detail_url(heat), {"title": "Heat", "imdb_id": "tt0113277"}, format="json")
    assert response.status_code == 200


def test_an_update_to_another_movies_imdb_id_is_a_400(curator_client, heat):
    MovieFactory.create(imdb_id="tt0114814")
    response = curator_client.patch(detail_url(heat), {"imdb_id": "tt0114814"}, format="json")
    assert error_fields(response) == ["imdb_id"]


def test_put_needs_the_title(curator_client, heat):
    assert error_fields(curator_client.put(detail_url(heat), {"year": 1995}, format="json")) == ["title"]


def test_updating_an_unknown_movie_is_a_404(curator_client):
    response = curator_client.patch(reverse("movie-detail", kwargs={"pk": 424242}), {"year": 1}, format="json")
    assert response.status_code == 404


# --- Delete -------------------------------------------------------------------------------


def test_deleting_a_movie_deletes_its_ratings(curator_client, rate):
    heat = MovieFactory.create()
    rate(heat, "4.0", "4.0", "4.0")
    response = curator_client.delete(detail_url(heat))
    assert response.status_code == 204
    assert not Movie.objects.filter(pk=heat.pk).exists()
    assert not heat.ratings.exists()  # heat keeps its pk in memory: this asks for rows of that movie id


# --- Permissions --------------------------------------------------------------------------

WRITES = [
    ("post", "list", {"title": "New"}, 201, "add_movie"),
    ("put", "detail", {"title": "Replaced"}, 200, "change_movie"),
    ("patch", "detail", {"title": "Changed"}, 200, "change_movie"),
    ("delete", "detail", None, 204, "delete_movie"),
]


def send(client, method: str, target: str, movie, body):
    url = LIST_URL if target == "list" else detail_url(movie)
    return getattr(client, method)(url, body, format="json")


@pytest.mark.parametrize(("method", "target", "body", "status", "codename"), WRITES)
def test_anonymous_writes_are_a_401(api_client, method, target, body, status, codename):
    response = send(api_client, method, target, MovieFactory.create(), body)
    assert response.status_code == 401
    assert response.has_header("WWW-Authenticate")


@pytest.mark.parametrize(("method", "target", "body", "status", "codename"), WRITES)
def test_regular_users_cannot_write(user_client, method, target, body, status, codename):
    assert send(user_client, method, target, MovieFactory.create(), body).status_code == 403


@pytest.mark.parametrize(("method", "target", "body", "status", "codename"), WRITES)
def test_staff_without_the_permission_cannot_write(
    staff_without_permissions_client, method, target, body, status, codename
):
    assert send(staff_without_permissions_client, method, target, MovieFactory.create(), body).status_code == 403


@pytest.mark.parametrize(("method", "target", "body", "status", "codename"), WRITES)
def test_the_permission_without_staff_status_is_not_enough(db, method, target, body, status, codename):
    user = UserFactory.create(is_staff=False)
    user.user_permissions.add(Permission.objects.get(codename=codename))
    assert send(client_for(user), method, target, MovieFactory.create(), body).status_code == 403


@pytest.mark.parametrize(("method", "target", "body", "status", "codename"), WRITES)
def test_staff_with_exactly_that_permission_can_write(db, method, target, body, status, codename):
    user = UserFactory.create(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename=codename))
    assert send(client_for(user), method, target, MovieFactory.create(), body).status_code == status


def test_a_superuser_can_write(staff_client):
    assert staff_client.post(LIST_URL, {"title": "New"}, format="json").status_code == 201


def test_staff_catalogue_writes_are_not_throttled(curator_client, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "writes": "1/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    statuses = {curator_client.post(LIST_URL, {"title": f"Movie {n}"}, format="json").status_code for n in range(3)}
    assert statuses == {201}


def test_anyone_may_ask_which_methods_the_list_allows(api_client):
    response = api_client.options(LIST_URL)
    assert response.status_code == 200
    assert "actions" not in response.json()  # only curators are told how to write
