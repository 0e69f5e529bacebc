"""Curators are a group: a staff member of `Curators` curates the catalogue in the admin through
its real forms (login, CSRF, the genre autocomplete), and the admin refuses what the API refuses."""

import re
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import DataError, IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from movies import services
from movies.models import CURATORS_GROUP, Movie, last_valid_year
from movies.tests.factories import GenreFactory, MovieFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"  # UserFactory's
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_token(response) -> str:
    assert response.status_code == 200
    match = CSRF_INPUT.search(response.content.decode())
    assert match, "the page has no CSRF token"
    return match[1]


@pytest.fixture
def browser() -> Client:
    """A client that, like a browser, must send the CSRF token the forms carry."""
    return Client(enforce_csrf_checks=True)


def log_in(browser: Client, username: str) -> None:
    login_url = reverse("admin:login")
    token = csrf_token(browser.get(login_url))
    response = browser.post(
        login_url, {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token, "next": "/admin/"}
    )
    assert response.status_code == 302, response.content.decode()[:500]


@pytest.fixture
def curator_browser(browser, curator) -> Client:
    log_in(browser, curator.username)
    return browser


def add_movie(browser: Client, **fields: object) -> Any:
    add_url = reverse("admin:movies_movie_add")
    token = csrf_token(browser.get(add_url))
    data = {"title": "Heat", "year": "", "genres": [], "imdb_id": "", "tmdb_id": "", **fields}
    return browser.post(add_url, {**data, "csrfmiddlewaretoken": token})


def group_permissions(group: Group) -> list[str]:
    return sorted(f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all())


CURATING = sorted(
    f"movies.{action}_{model}" for action in ("view", "add", "change", "delete") for model in ("movie", "genre")
)


def test_the_migration_creates_the_curators_group_with_exactly_the_permissions_curating_needs():
    assert group_permissions(Group.objects.get(name=CURATORS_GROUP)) == CURATING


def test_a_deleted_curators_group_is_recreated_the_same_by_the_service():
    Group.objects.filter(name=CURATORS_GROUP).delete()
    assert group_permissions(services.curators_group_ensure()) == CURATING


def test_a_curator_adds_a_movie_picking_its_genre_through_the_autocomplete(curator_browser):
    GenreFactory.create(name="Crime", slug="crime")
    drama = GenreFactory.create(name="Drama", slug="drama")

    assert curator_browser.get(reverse("admin:index")).status_code == 200
    assert "admin-autocomplete" in curator_browser.get(reverse("admin:movies_movie_add")).content.decode()
    found = curator_browser.get(
        reverse("admin:autocomplete"),
        {"app_label": "movies", "model_name": "movie", "field_name": "genres", "term": "dra"},
    )
    assert found.status_code == 200
    picked = found.json()["results"]
    assert [result["text"] for result in picked] == ["Drama"]

    response = add_movie(
        curator_browser, title="Heat", year="1995", genres=[picked[0]["id"]], imdb_id="tt0113277", tmdb_id="949"
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    movie = Movie.objects.get(title="Heat")
    assert (movie.year, movie.imdb_id, movie.tmdb_id, list(movie.genres.all())) == (1995, "tt0113277", 949, [drama])


def test_a_curator_lists_adds_and_edits_genres_in_the_admin(curator_browser):
    drama = GenreFactory.create(name="Drama", slug="drama")
    assert curator_browser.get(reverse("admin:movies_genre_changelist")).status_code == 200
    change_url = reverse("admin:movies_genre_change", args=[drama.pk])
    token = csrf_token(curator_browser.get(change_url))
    response = curator_browser.post(change_url, {"name": "Drama!", "slug": "drama", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    drama.refresh_from_db()
    assert drama.name == "Drama!"


def test_a_post_without_the_csrf_token_is_refused(curator_browser):
    response = curator_browser.post(reverse("admin:movies_movie_add"), {"title": "Heat"})
    assert response.status_code == 403
    assert not Movie.objects.exists()


def test_staff_outside_the_group_cannot_curate(browser):
    outsider = UserFactory.create(is_staff=True)
    log_in(browser, outsider.username)
    assert browser.get(reverse("admin:movies_movie_add")).status_code == 403
    assert browser.get(reverse("admin:movies_genre_changelist")).status_code == 403


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("year", "1800", "Give a year from 1870 to"),
        ("year", "2500", "Give a year from 1870 to"),
        ("imdb_id", "nope", "An IMDb id is `tt` and at least 7 digits"),
        ("imdb_id", "tt123", "An IMDb id is `tt` and at least 7 digits"),
        ("tmdb_id", "99999999999", "A TMDB id is a whole number from 1 to 2147483647"),
        ("tmdb_id", "0", "A TMDB id is a whole number from 1 to 2147483647"),
    ],
)
def test_the_admin_refuses_what_the_api_refuses(curator_browser, field, value, message):
    response = add_movie(curator_browser, **{field: value})

    assert response.status_code == 200  # the form again, with its errors
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field]
    assert any(error.startswith(message) for error in errors[field]), errors
    assert not Movie.objects.exists()


def test_next_year_is_accepted_and_the_year_after_is_not(curator_browser):
    assert add_movie(curator_browser, title="Soon", year=str(last_valid_year())).status_code == 302
    response = add_movie(curator_browser, title="Later", year=str(last_valid_year() + 1))
    assert list(response.context["adminform"].form.errors) == ["year"]


@pytest.mark.parametrize(("field", "value"), [("year", 1869), ("year", 2201), ("tmdb_id", 0), ("tmdb_id", 2**31)])
def test_the_database_refuses_values_out_of_range_whatever_writes_them(field, value):
    movie = MovieFactory.create()
    # PostgreSQL refuses a tmdb_id over 2^31-1 by its column type (DataError), SQLite by the constraint.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        Movie.objects.filter(pk=movie.pk).update(**{field: value})


def test_a_title_that_already_ends_with_its_year_is_not_shown_with_it_twice():
    assert str(MovieFactory.build(title="Chinatown", year=1974)) == "Chinatown (1974)"
    assert str(MovieFactory.build(title="Chinatown (1974)", year=1974)) == "Chinatown (1974)"
    assert str(MovieFactory.build(title="Untitled", year=None)) == "Untitled"
