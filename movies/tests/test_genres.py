import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse

from conftest import client_for
from movies import services
from movies.models import Genre
from movies.tests.factories import GenreFactory, MovieFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("genre-list")


def test_genres_are_a_plain_list_by_name_with_their_movie_counts(api_client):
    drama, crime = GenreFactory.create(name="Drama"), GenreFactory.create(name="crime")
    GenreFactory.create(name="Western")
    MovieFactory.create(genres=[drama, crime])
    MovieFactory.create(genres=[drama])
    response = api_client.get(URL)
    assert response.status_code == 200
    assert response.json() == [
        {"slug": "crime", "name": "crime", "movies_count": 1},
        {"slug": "drama", "name": "Drama", "movies_count": 2},
        {"slug": "western", "name": "Western", "movies_count": 0},
    ]


def test_the_genre_list_costs_one_query_whatever_its_size(api_client, django_assert_num_queries):
    for size in (2, 30):
        genres = [GenreFactory.create() for _ in range(size - Genre.objects.count())]
        MovieFactory.create(genres=genres)
        with django_assert_num_queries(1):
            response = api_client.get(URL, {"size": size})  # a distinct query string: a cache miss
        assert len(response.json()) == size


def test_a_curator_adds_a_genre(curator_client):
    response = curator_client.post(URL, {"name": "  Film-Noir "}, format="json")
    assert response.status_code == 201
    assert response.json() == {"slug": "film-noir", "name": "Film-Noir", "movies_count": 0}
    assert Genre.objects.filter(slug="film-noir", name="Film-Noir").exists()


@pytest.mark.parametrize("name", ["drama", "DRAMA", "Drama"])
def test_a_taken_name_in_any_letter_case_is_a_400_naming_name(curator_client, drama, name):
    response = curator_client.post(URL, {"name": name}, format="json")
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["name"]


def test_a_name_whose_slug_is_taken_is_a_400_naming_name(curator_client):
    GenreFactory.create(name="Sci-Fi", slug="sci-fi")
    response = curator_client.post(URL, {"name": "Sci Fi"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "name"
    assert "sci-fi" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "!!!"}, {"name": "x" * 65}, {"name": None}])
def test_a_missing_or_unusable_name_is_a_400_naming_name(curator_client, body):
    response = curator_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["name"]


def test_a_name_taken_by_a_concurrent_request_is_a_400_not_a_500(db, monkeypatch):
    GenreFactory.create(name="Drama")
    # The check passed, then another request inserted the same name before this insert.
    monkeypatch.setattr(services, "_genre_name_problem", lambda name, slug: None)
    with pytest.raises(ValidationError) as raised:
        services.genre_create(name="drama")
    assert "name" in raised.value.message_dict


def test_a_service_validation_error_reaches_the_client_as_a_400_naming_the_field(curator_client, monkeypatch):
    GenreFactory.create(name="Drama")
    monkeypatch.setattr(services, "_genre_name_problem", lambda name, slug: None)
    response = curator_client.post(URL, {"name": "drama"}, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == ["name"]


def test_adding_a_genre_needs_authentication(api_client):
    response = api_client.post(URL, {"name": "Noir"}, format="json")
    assert response.status_code == 401
    assert response.has_header("WWW-Authenticate")


def test_a_regular_user_cannot_add_a_genre(user_client):
    assert user_client.post(URL, {"name": "Noir"}, format="json").status_code == 403


def test_staff_without_the_permission_cannot_add_a_genre(staff_without_permissions_client):
    assert staff_without_permissions_client.post(URL, {"name": "Noir"}, format="json").status_code == 403


def test_a_permission_without_staff_status_is_not_enough(db):
    user = UserFactory.create(is_staff=False)
    user.user_permissions.add(Permission.objects.get(codename="add_genre"))
    assert client_for(user).post(URL, {"name": "Noir"}, format="json").status_code == 403


def test_a_superuser_adds_a_genre(staff_client):
    assert staff_client.post(URL, {"name": "Noir"}, format="json").status_code == 201
