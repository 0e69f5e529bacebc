"""`GET /api/users/me/ratings/export/` (SPEC section 13): every rating, streamed, as CSV or JSON."""

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from conftest import assert_problem
from movies.tests.factories import MovieFactory
from ratings.models import Rating
from ratings.services import rating_upsert
from ratings.transfer import EXPORT_COLUMNS

URL = reverse("my-ratings-export")


@pytest.fixture
def rated(user):
    """Three ratings of `user` with distinct update times: the first rated is the oldest."""
    movies = [
        MovieFactory.create(title='Crouching Tiger, "Hidden" Dragon', year=2000, imdb_id="tt0190332", tmdb_id=146),
        MovieFactory.create(title="Amélie", year=None),
        MovieFactory.create(title="=SUM(A1:A9)", year=1999),
    ]
    for day, (movie, score, review) in enumerate(
        zip(movies, ["4.5", "3.0", "0.5"], ["Wire-fu,\r\nin two lines", "", "@cmd"], strict=True), start=1
    ):
        rating, _ = rating_upsert(user=user, movie=movie, score=Decimal(score), review=review)
        moment = datetime(2024, 1, day, 12, 0, 0, 123456 if day != 2 else 0, tzinfo=UTC)  # and one whole second
        Rating.objects.filter(pk=rating.pk).update(rated_at=moment, updated_at=moment)
    return movies


def download(client, query: str = "", **headers) -> tuple[Any, bytes]:
    response = client.get(URL + query, **headers)
    return response, b"".join(response.streaming_content) if response.streaming else response.content


def api_list(client) -> list[dict]:
    return client.get(reverse("my-ratings"), {"page_size": 100}).json()["results"]


def test_the_csv_export_has_every_rating_newest_first_like_the_api_list(user_client, rated):
    response, content = download(user_client)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="ratings.csv"'
    assert response["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    listed = api_list(user_client)
    assert [int(row[0]) for row in rows[1:]] == [item["movie"]["id"] for item in listed]
    for row, item in zip(rows[1:], listed, strict=True):
        assert row[1] == item["movie"]["title"]
        assert row[2] == ("" if item["movie"]["year"] is None else str(item["movie"]["year"]))
        assert Decimal(row[5]) == Decimal(str(item["score"]))
        assert (row[6], row[7], row[8]) == (item["review"], item["rated_at"], item["updated_at"])
    assert rows[3][3:5] == ["tt0190332", "146"]


def test_the_csv_export_uses_rfc_4180_line_ends_and_quoting(user_client, rated):
    _, content = download(user_client)
    assert content.startswith(b"movie_id,title,year,imdb_id,tmdb_id,score,review,rated_at,updated_at\r\n")
    assert b'"Crouching Tiger, ""Hidden"" Dragon"' in content
    assert b'"Wire-fu,\r\nin two lines"' in content


def test_cells_that_look_like_formulas_are_exported_as_they_are(user_client, rated):
    _, content = download(user_client)
    rows = list(csv.reader(io.StringIO(content.decode(), newline="")))
    assert rows[1][1] == "=SUM(A1:A9)"
    assert rows[1][6] == "@cmd"


def test_the_json_export_is_a_list_with_numbers_as_numbers(user_client, rated):
    response, content = download(user_client, "?format=json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="ratings.json"'
    items = json.loads(content)
    listed = api_list(user_client)
    assert [item["movie_id"] for item in items] == [item["movie"]["id"] for item in listed]
    first = items[-1]
    assert first == {
        "movie_id": rated[0].pk,
        "title": 'Crouching Tiger, "Hidden" Dragon',
        "year": 2000,
        "imdb_id": "tt0190332",
        "tmdb_id": 146,
        "score": 4.5,
        "review": "Wire-fu,\r\nin two lines",
        "rated_at": "2024-01-01T12:00:00.123456Z",
        "updated_at": "2024-01-01T12:00:00.123456Z",
    }
    assert items[1]["year"] is None
    assert items[1]["updated_at"] == "2024-01-02T12:00:00Z"  # no fraction when there is none, as the API writes it


def test_an_empty_export_is_a_header_or_an_empty_list(user_client, db):
    assert download(user_client)[1] == b"movie_id,title,year,imdb_id,tmdb_id,score,review,rated_at,updated_at\r\n"
    assert json.loads(download(user_client, "?format=json")[1]) == []


def test_the_export_holds_only_the_callers_ratings(user_client, rated, staff_user):
    rating_upsert(user=staff_user, movie=MovieFactory.create(), score=Decimal(2), review="not yours")
    _, content = download(user_client, "?format=json")
    assert len(json.loads(content)) == 3


def test_an_unknown_format_is_a_400_naming_format(user_client, rated):
    body = assert_problem(user_client.get(URL + "?format=xml"), 400)
    assert body["errors"][0]["field"] == "format"


def test_the_export_answers_whatever_the_client_accepts_and_in_either_version(user_client, rated):
    response, content = download(user_client, "?format=csv", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200 and content.startswith(b"movie_id,")
    response, content = download(user_client, "?format=json", HTTP_ACCEPT="application/json; version=2")
    assert response.status_code == 200 and response["API-Version"] == "2"
    assert response["Content-Type"] == "application/json; version=2"  # as version 2's schema declares it
    assert len(json.loads(content)) == 3


def test_exporting_needs_authentication(api_client, db):
    assert_problem(api_client.get(URL), 401)


def test_the_export_is_streamed_in_a_fixed_number_of_queries(user, user_client, rated, django_assert_num_queries):
    response = user_client.get(URL)
    assert response.streaming
    with django_assert_num_queries(1):  # the ratings, with their movies, through one cursor
        small = b"".join(response.streaming_content)
    for _ in range(30):
        rating_upsert(user=user, movie=MovieFactory.create(), score=Decimal(3), review="")
    response = user_client.get(URL)
    with django_assert_num_queries(1):
        large = b"".join(response.streaming_content)
    assert large.count(b"\r\n") == small.count(b"\r\n") + 30


def test_timestamps_follow_the_api_under_other_time_settings_too(user_client, rated, settings):
    settings.TIME_ZONE = "Europe/Paris"  # the API then writes +01:00 offsets; so must the export
    _, content = download(user_client, "?format=json")
    exported = [(item["rated_at"], item["updated_at"]) for item in json.loads(content)]
    assert exported == [(item["rated_at"], item["updated_at"]) for item in api_list(user_client)]
    assert exported[0][1].endswith("+01:00")
