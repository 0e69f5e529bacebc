"""`manage.py load_demo_data`: the catalogue `make run` starts with, and its demo accounts."""

import csv
import re
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from movielens.management.commands import load_demo_data as load_demo_data_command
from movielens.management.commands.load_demo_data import DEMO_DIR
from movies.models import Movie
from movies.tests.factories import MovieFactory
from ratings.models import Rating
from users.models import User

pytestmark = pytest.mark.django_db


def load_demo_data(*args: str) -> str:
    out, err = StringIO(), StringIO()
    call_command("load_demo_data", *args, stdout=out, stderr=err)
    assert err.getvalue() == ""  # the demo files have no bad row
    return out.getvalue()


def demo_rows(name: str) -> list[dict[str, str]]:
    with (DEMO_DIR / name).open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def test_the_demo_catalogue_is_loaded_through_the_importer():
    out = load_demo_data()

    assert Movie.objects.count() == len(demo_rows("movies.csv"))
    assert Rating.objects.count() == len(demo_rows("ratings.csv"))
    assert f"  movies:  {len(demo_rows('movies.csv'))} created, 0 updated, 0 unchanged" in out
    godfather = Movie.objects.get(imdb_id="tt0068646")
    assert (godfather.title, godfather.year, godfather.tmdb_id) == ("The Godfather", 1972, 238)
    assert sorted(godfather.genres.values_list("name", flat=True)) == ["Crime", "Drama"]
    assert godfather.ratings_count == Rating.objects.filter(movie=godfather).count()


def test_the_demo_files_look_like_a_real_catalogue():
    movies, links, ratings = demo_rows("movies.csv"), demo_rows("links.csv"), demo_rows("ratings.csv")

    assert len(movies) >= 30
    assert {row["movieId"] for row in links} == {row["movieId"] for row in movies}
    assert len({row["imdbId"] for row in links}) == len(links)
    assert 5 <= len({row["userId"] for row in ratings}) <= 15
    assert len(ratings) >= 300
    assert len({(row["userId"], row["movieId"]) for row in ratings}) == len(ratings)
    rated_often = [movie for movie, count in Counter(row["movieId"] for row in ratings).items() if count >= 5]
    assert len(rated_often) >= 20  # enough for top lists that are not one rating each


def test_if_empty_loads_nothing_when_a_movie_exists():
    MovieFactory()

    out = load_demo_data("--if-empty")

    assert out.strip() == "The catalogue already has movies: demo data not loaded."
    assert Movie.objects.count() == 1
    assert not User.objects.exists()


def test_if_empty_loads_the_demo_into_an_empty_catalogue():
    load_demo_data("--if-empty")

    assert Movie.objects.count() == len(demo_rows("movies.csv"))


def test_demo_accounts_are_created_in_debug(settings):
    settings.DEBUG = True

    out = load_demo_data()

    curator = User.objects.get(username="curator")
    assert curator.is_staff and not curator.is_superuser
    assert curator.check_password("demo-curator-pass")
    assert [group.name for group in curator.groups.all()] == ["Curators"]
    assert not curator.user_permissions.exists()  # a member, not a permission collector
    assert curator.get_all_permissions() == {
        f"movies.{action}_{model}" for action in ("view", "add", "change", "delete") for model in ("movie", "genre")
    }
    demo = User.objects.get(username="demo")
    assert demo.check_password("demo-user-pass")
    assert not demo.is_staff
    assert "curator / demo-curator-pass" in out
    assert "demo / demo-user-pass" in out


def test_demo_accounts_are_not_created_without_debug(settings):
    settings.DEBUG = False

    load_demo_data()

    assert not User.objects.filter(username__in=["curator", "demo"]).exists()


def test_demo_accounts_can_be_asked_for_without_debug(settings):
    settings.DEBUG = False

    load_demo_data("--with-accounts")

    assert User.objects.filter(username__in=["curator", "demo"]).count() == 2


def test_existing_demo_accounts_are_left_alone(settings):
    settings.DEBUG = True
    load_demo_data()
    User.objects.filter(username="demo").update(email="demo@example.com")

    out = load_demo_data()

    assert User.objects.get(username="demo").email == "demo@example.com"
    assert "demo-user-pass" not in out
    assert "Nothing changed" in out


def test_a_bad_row_in_the_demo_files_is_reported(tmp_path, monkeypatch):
    (tmp_path / "movies.csv").write_text(
        "movieId,title,genres\n1,Heat (1995),Crime\n2,(1995),Crime\n", encoding="utf-8"
    )
    monkeypatch.setattr(load_demo_data_command, "DEMO_DIR", tmp_path)
    err = StringIO()

    call_command("load_demo_data", stdout=StringIO(), stderr=err)

    assert err.getvalue() == "skipped movies.csv line 3: title is missing\n"


def test_missing_demo_files_are_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(load_demo_data_command, "DEMO_DIR", tmp_path)

    with pytest.raises(CommandError, match=r"no movies\.csv in"):
        call_command("load_demo_data", stdout=StringIO(), stderr=StringIO())


def test_the_demo_curator_picks_genres_and_adds_a_movie_in_the_admin(settings):
    """Through the real login and add forms, CSRF enforced, as `make run`'s curator."""
    settings.DEBUG = True
    load_demo_data()
    browser = Client(enforce_csrf_checks=True)

    def token(url: str) -> str:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', browser.get(url).content.decode())
        assert match, f"{url} has no CSRF token"
        return match[1]

    login = reverse("admin:login")
    assert (
        browser.post(
            login, {"username": "curator", "password": "demo-curator-pass", "csrfmiddlewaretoken": token(login)}
        ).status_code
        == 302
    )
    found = browser.get(
        reverse("admin:autocomplete"),
        {"app_label": "movies", "model_name": "movie", "field_name": "genres", "term": "dra"},
    )
    assert found.status_code == 200
    drama = [result for result in found.json()["results"] if result["text"] == "Drama"]
    add = reverse("admin:movies_movie_add")
    response = browser.post(
        add,
        {
            "title": "Curated",
            "year": "2001",
            "genres": [drama[0]["id"]],
            "imdb_id": "",
            "tmdb_id": "",
            "csrfmiddlewaretoken": token(add),
        },
    )
    assert response.status_code == 302
    assert [genre.name for genre in Movie.objects.get(title="Curated").genres.all()] == ["Drama"]
    assert browser.get(reverse("admin:movies_genre_changelist")).status_code == 200
