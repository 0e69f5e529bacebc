"""Staff catalogue changes, through the API and the admin, leave an audit event each."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from movies.models import Movie
from movies.tests.factories import MovieFactory

pytestmark = pytest.mark.django_db


def events() -> list[tuple[str, str, str]]:
    """The catalogue's events (the admin tests' own logins left out)."""
    catalogue = AuditEvent.objects.exclude(action__startswith="auth.").order_by("id")
    return list(catalogue.values_list("action", "actor_username", "target_repr"))


def test_api_creations_changes_and_deletions_are_audited_with_their_curator(curator_client, curator, drama):
    created = curator_client.post(reverse("movie-list"), {"title": "Heat", "genres": ["drama"]}, format="json")
    url = reverse("movie-detail", kwargs={"pk": created.json()["id"]})
    assert curator_client.patch(url, {"year": 1995}, format="json").status_code == 200
    assert curator_client.delete(url).status_code == 204
    assert curator_client.post(reverse("genre-list"), {"name": "Noir"}, format="json").status_code == 201
    assert events() == [
        ("movie.create", curator.username, "Heat"),
        ("movie.update", curator.username, "Heat (1995)"),
        ("movie.delete", curator.username, "Heat (1995)"),
        ("genre.create", curator.username, "Noir"),
    ]
    update = AuditEvent.objects.get(action="movie.update")
    assert update.details == {"via": "api", "fields": ["year"]}
    assert update.target_id == str(created.json()["id"])
    assert update.request_id and update.client_address == "127.0.0.1"


def test_a_refused_write_leaves_no_event(curator_client, drama):
    MovieFactory.create(title="Heat", imdb_id="tt0113277")
    response = curator_client.post(reverse("movie-list"), {"title": "Heat", "imdb_id": "tt0113277"}, format="json")
    assert response.status_code == 400
    assert not AuditEvent.objects.exists()


def test_admin_saves_and_deletions_are_audited(client, curator, drama):
    client.force_login(curator)
    form = {"title": "Alien", "year": "1979", "genres": [drama.pk], "imdb_id": "", "tmdb_id": ""}
    assert client.post(reverse("admin:movies_movie_add"), form).status_code == 302
    movie = Movie.objects.get(title="Alien")
    change = reverse("admin:movies_movie_change", args=[movie.pk])
    assert client.post(change, {**form, "year": "1980"}).status_code == 302
    assert client.post(reverse("admin:movies_movie_delete", args=[movie.pk]), {"post": "yes"}).status_code == 302
    assert [action for action, *_ in events()] == ["movie.create", "movie.update", "movie.delete"]
    update = AuditEvent.objects.get(action="movie.update")
    assert update.details == {"via": "admin", "fields": ["year"]}
    assert update.actor == curator


def test_a_bulk_admin_deletion_records_each_movie(client, curator):
    client.force_login(curator)
    movies = MovieFactory.create_batch(2)
    changelist = reverse("admin:movies_movie_changelist")
    response = client.post(
        changelist, {"action": "delete_selected", "_selected_action": [m.pk for m in movies], "post": "yes"}
    )
    assert response.status_code == 302
    deleted = AuditEvent.objects.filter(action="movie.delete")
    assert sorted(deleted.values_list("target_id", flat=True)) == sorted(str(m.pk) for m in movies)
