import csv
import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from movies.tests.factories import MovieFactory
from ratings.models import Rating
from ratings.services import rating_upsert


def export(client, **params):
    response = client.get(reverse("web:my-ratings-export"), params)
    return response, b"".join(response.streaming_content).decode() if response.status_code == 200 else ""


def upload(client, text: str, name: str = "ratings.csv", **fields):
    file = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
    return client.post(reverse("web:my-ratings-import"), {"file": file, **fields})


LETTERBOXD = "Date,Name,Year,Letterboxd URI,Rating\n2024-01-02,The Godfather,1972,https://boxd.it/x,5\n"


def test_the_export_is_the_api_export_as_a_download_never_stored(member_client, member, movie, api_client):
    rating_upsert(user=member, movie=movie, score=Decimal("4.5"), review='Said "no", twice')

    response, body = export(member_client)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="ratings.csv"'
    assert "no-store" in response["Cache-Control"]
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(row["title"], row["score"], row["review"]) for row in rows] == [
        ("The Godfather", "4.5", 'Said "no", twice')
    ]


def test_the_json_export_has_the_same_fields(member_client, member, movie):
    rating_upsert(user=member, movie=movie, score=Decimal("3.0"), review="")

    response, body = export(member_client, format="json")

    assert response["Content-Type"] == "application/json"
    assert [(row["movie_id"], row["score"]) for row in json.loads(body)] == [(movie.pk, 3.0)]


def test_an_unknown_export_format_is_a_400_and_anonymous_visitors_log_in(member_client, client, db):
    assert export(member_client, format="xml")[0].status_code == 400
    assert client.get(reverse("web:my-ratings-export"))["Location"].startswith(reverse("web:login"))


def test_importing_a_letterboxd_file_saves_through_the_import_service(member_client, member, movie):
    response = upload(member_client, LETTERBOXD)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Import done" in html and "Letterboxd" in html
    assert Rating.objects.get(user=member, movie=movie).score == Decimal("5.0")
    movie.refresh_from_db()
    assert movie.ratings_count == 3
    assert "no-store" in response["Cache-Control"]


def test_a_preview_shows_what_would_change_and_saves_nothing(member_client, member, movie):
    response = upload(member_client, LETTERBOXD + "2024-01-03,No Such Film,1901,https://boxd.it/y,3\n", dry_run="on")

    html = response.content.decode()
    assert "Import preview: nothing was saved" in html
    assert "No Such Film" in html  # listed as not found
    assert not Rating.objects.filter(user=member).exists()


def test_my_export_imports_back_as_unchanged(member_client, member, movie):
    rating_upsert(user=member, movie=movie, score=Decimal("2.5"), review="x")
    _, body = export(member_client)

    html = upload(member_client, body).content.decode()

    assert "this site&#x27;s export" in html or "this site's export" in html
    assert "<dt>Unchanged</dt><dd>1</dd>" in html


@pytest.mark.parametrize(
    ("text", "message"),
    [("just,some,columns\n1,2,3\n", "header"), ("\xff\xfe not utf-8", "UTF-8")],
)
def test_a_file_that_cannot_be_read_is_a_400_and_nothing_is_written(member_client, member, movie, text, message):
    file = SimpleUploadedFile("x.csv", text.encode("latin-1"), content_type="text/csv")
    response = member_client.post(reverse("web:my-ratings-import"), {"file": file})

    assert response.status_code == 400
    assert "Nothing was imported" in response.content.decode()
    assert message in response.content.decode()
    assert not Rating.objects.filter(user=member).exists()


def test_no_file_is_a_400(member_client):
    response = member_client.post(reverse("web:my-ratings-import"), {})

    assert response.status_code == 400
    assert "Choose a file" in response.content.decode()


def test_a_file_over_the_limit_is_a_413(member_client, member, settings):
    settings.RATINGS_IMPORT_MAX_BYTES = 100

    response = upload(member_client, LETTERBOXD * 5)

    assert response.status_code == 413
    assert not Rating.objects.filter(user=member).exists()


def test_an_import_needs_a_login_and_the_csrf_token(client, member):
    assert upload(client, LETTERBOXD)["Location"].startswith(reverse("web:login"))
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member)
    assert upload(browser, LETTERBOXD).status_code == 403


def test_an_import_counts_as_one_write_against_the_write_throttle(member_client, member, movie, small_throttle_rates):
    MovieFactory.create(title="Heat", year=1995)
    upload(member_client, LETTERBOXD + "2024-01-03,Heat,1995,https://boxd.it/y,3\n")
    member_client.post(reverse("web:movie-rate", args=[movie.pk]), {"score": "1.0"})

    assert upload(member_client, LETTERBOXD).status_code == 429
