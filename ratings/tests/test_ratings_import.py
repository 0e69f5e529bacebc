"""`POST /api/users/me/ratings/import/` (SPEC section 13), from hand-written files of each format."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import assert_problem, client_for
from movies.tests.factories import MovieFactory
from ratings.models import Rating
from ratings.services import rating_upsert
from ratings.tests.conftest import assert_statistics_match_rows
from users.tests.factories import UserFactory

FIXTURES = Path(__file__).parent / "fixtures"
URL = reverse("my-ratings-import")


@pytest.fixture
def catalogue(db):
    """The movies the fixture files name, spelled as the catalogue holds them."""
    movies = {
        "suspects": MovieFactory.create(title="The Usual Suspects", year=1995, imdb_id="tt0114814"),
        "heat": MovieFactory.create(title="Heat", year=1995, imdb_id="tt0113277"),
        "amelie": MovieFactory.create(title="Amélie", year=2001, imdb_id="tt0211915"),
        "tiger": MovieFactory.create(title="Crouching Tiger, Hidden Dragon", year=2000, imdb_id="tt0190332"),
        "leon": MovieFactory.create(title="Léon: The Professional", year=1994, imdb_id="tt0110413"),
        "dracula_1931": MovieFactory.create(title="Dracula", year=1931),
        "dracula_1992": MovieFactory.create(title="Dracula", year=1992),
        "miserables": MovieFactory.create(title="Les Misérables", year=1995),
        "enfer": MovieFactory.create(title="L'Enfer", year=1994),
        "emma_a": MovieFactory.create(title="Emma", year=1996),
        "emma_b": MovieFactory.create(title="Emma", year=1996),
    }
    return movies


def upload(client, content: bytes | str, name: str = "ratings.csv", query: str = ""):
    if isinstance(content, str):
        content = content.encode()
    file = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.post(URL + query, {"file": file}, format="multipart")


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def scores(user) -> dict[int, Decimal]:
    return dict(Rating.objects.filter(user=user).values_list("movie_id", "score"))


def test_a_letterboxd_file_imports_with_half_stars_titles_and_years(user, user_client, catalogue):
    response = upload(user_client, fixture("letterboxd_ratings.csv"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["format"] == "letterboxd"
    assert (body["created"], body["updated"], body["unchanged"]) == (7, 0, 0)
    assert scores(user) == {
        catalogue["suspects"].pk: Decimal("4.5"),
        catalogue["tiger"].pk: Decimal("3.0"),  # a quoted title with a comma
        catalogue["amelie"].pk: Decimal("5.0"),  # accents
        catalogue["dracula_1931"].pk: Decimal("2.5"),  # one title, two movies: the year tells them apart
        catalogue["dracula_1992"].pk: Decimal("0.5"),
        catalogue["miserables"].pk: Decimal("3.5"),  # "Misérables, Les" is "Les Misérables"
        catalogue["enfer"].pk: Decimal("1.5"),  # "Enfer" is "L'Enfer", the article ignored
    }
    assert body["unmatched"] == [
        {"line": 9, "title": "A Film Nobody Has Made", "year": 2020, "reason": "not found in the catalogue"},
        {
            "line": 10,
            "title": "Emma",
            "year": 1996,
            "reason": "ambiguous: the title and year match more than one movie (2 movies)",
        },
    ]
    assert [row["line"] for row in body["invalid"]] == [11, 12, 13]
    assert "4.25" in body["invalid"][0]["reason"]
    assert "2019-13-40" in body["invalid"][1]["reason"]
    assert "Rating missing" in body["invalid"][2]["reason"]


def test_a_letterboxd_rating_takes_its_date_as_rated_at_and_updated_at(user, user_client, catalogue):
    upload(user_client, fixture("letterboxd_ratings.csv"))
    rating = Rating.objects.get(user=user, movie=catalogue["suspects"])
    assert rating.rated_at == rating.updated_at == datetime(2019, 3, 1, tzinfo=UTC)
    assert rating.review == ""


def test_an_imdb_file_maps_one_to_ten_onto_half_stars_and_skips_what_is_not_a_movie(user, user_client, catalogue):
    response = upload(user_client, fixture("imdb_ratings.csv"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["format"] == "imdb"
    assert (body["created"], body["updated"], body["unchanged"]) == (6, 0, 0)
    assert scores(user) == {
        catalogue["suspects"].pk: Decimal("4.5"),  # 9
        catalogue["heat"].pk: Decimal("3.5"),  # 7
        catalogue["amelie"].pk: Decimal("5.0"),  # 10
        catalogue["tiger"].pk: Decimal("0.5"),  # 1
        catalogue["leon"].pk: Decimal("1.5"),  # 3, Title Type "movie"
        catalogue["dracula_1992"].pk: Decimal("3.0"),  # 6, IMDb id unknown here: matched by title and year
    }
    assert body["unmatched"] == [
        {"line": 8, "title": "Breaking Bad", "year": 2008, "reason": "not a movie (Title Type 'TV Series')"},
        {"line": 9, "title": "A Film Nobody Has Made", "year": 2021, "reason": "not found in the catalogue"},
    ]
    assert [row["line"] for row in body["invalid"]] == [10, 11]
    assert "11" in body["invalid"][0]["reason"]
    assert "13/01/2020" in body["invalid"][1]["reason"]
    rating = Rating.objects.get(user=user, movie=catalogue["heat"])
    assert rating.updated_at == datetime(2020, 1, 6, tzinfo=UTC)  # Date Rated at midnight UTC


def test_an_own_export_keeps_reviews_and_both_timestamps(user, user_client, catalogue):
    response = upload(user_client, fixture("own_export.csv"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["format"] == "own"
    assert (body["created"], body["updated"], body["unchanged"]) == (3, 0, 0)
    tiger = Rating.objects.get(user=user, movie=catalogue["tiger"])
    assert tiger.score == Decimal("4.5")
    assert tiger.review == 'Wire-fu, "done right"'
    assert tiger.rated_at == datetime(2021, 5, 1, 10, tzinfo=UTC)
    assert tiger.updated_at == datetime(2021, 6, 1, 12, 30, 0, 250000, tzinfo=UTC)
    assert Rating.objects.get(user=user, movie=catalogue["amelie"]).review == "Paris,\nin two lines"
    # Imported as written: a cell that looks like a spreadsheet formula is data here.
    assert Rating.objects.get(user=user, movie=catalogue["suspects"]).review == '=HYPERLINK("http://example.com")'
    assert body["unmatched"] == [
        {"line": 6, "title": "Not In The Catalogue", "year": 1999, "reason": "not found in the catalogue"}
    ]
    assert body["invalid"] == [
        {"line": 7, "reason": "score '7.0' is not a score from 0.5 to 5 in half-star steps"},
        {"line": 8, "reason": "rated_at is later than updated_at"},
    ]


@pytest.mark.parametrize("name", ["letterboxd_ratings.csv", "imdb_ratings.csv", "own_export.csv"])
def test_a_second_identical_import_changes_nothing(user, user_client, catalogue, name):
    first = upload(user_client, fixture(name)).json()
    before = list(Rating.objects.filter(user=user).order_by("pk").values())
    second = upload(user_client, fixture(name)).json()
    assert (second["created"], second["updated"]) == (0, 0)
    assert second["unchanged"] == first["created"]
    assert list(Rating.objects.filter(user=user).order_by("pk").values()) == before


@pytest.mark.parametrize("name", ["letterboxd_ratings.csv", "imdb_ratings.csv", "own_export.csv"])
def test_a_dry_run_says_what_would_happen_and_writes_nothing(user, user_client, catalogue, name):
    preview = upload(user_client, fixture(name), query="?dry_run=true")
    assert preview.status_code == 200
    assert Rating.objects.count() == 0
    user.refresh_from_db()
    assert user.ratings_count == 0
    assert upload(user_client, fixture(name)).json() == preview.json()


def test_a_malformed_dry_run_value_is_a_400_naming_it(user_client, catalogue):
    body = assert_problem(upload(user_client, fixture("imdb_ratings.csv"), query="?dry_run=maybe"), 400)
    assert body["errors"][0]["field"] == "dry_run"
    assert Rating.objects.count() == 0


def test_statistics_are_exact_for_every_movie_the_import_touches(user, user_client, catalogue):
    other = UserFactory.create()
    rating_upsert(user=other, movie=catalogue["heat"], score=Decimal("2.0"), review="")
    rating_upsert(user=user, movie=catalogue["heat"], score=Decimal("1.0"), review="mine")
    Rating.objects.filter(user=user).update(updated_at=datetime(2019, 1, 1, tzinfo=UTC))
    body = upload(user_client, fixture("imdb_ratings.csv")).json()
    assert (body["created"], body["updated"]) == (5, 1)
    for movie in catalogue.values():
        assert_statistics_match_rows(movie)
    user.refresh_from_db()
    held = Rating.objects.filter(user=user)
    assert user.ratings_count == held.count() == 6
    assert user.ratings_sum == sum(held.values_list("score", flat=True))


def held_rating(user, movie, score: str, review: str, *, rated_at: datetime, updated_at: datetime) -> Rating:
    """A rating held before the import, written through the service so statistics are exact."""
    rating, _ = rating_upsert(user=user, movie=movie, score=Decimal(score), review=review)
    Rating.objects.filter(pk=rating.pk).update(rated_at=rated_at, updated_at=updated_at)
    return rating


def test_a_newer_file_row_replaces_a_held_rating_and_keeps_its_review_and_rated_at(user, user_client, catalogue):
    held = held_rating(
        user,
        catalogue["heat"],
        "1.0",
        "kept",
        rated_at=datetime(2018, 1, 1, tzinfo=UTC),
        updated_at=datetime(2020, 1, 5, tzinfo=UTC),
    )
    body = upload(user_client, fixture("imdb_ratings.csv")).json()
    assert body["updated"] == 1
    held.refresh_from_db()
    assert (held.score, held.review) == (Decimal("3.5"), "kept")
    assert held.rated_at == datetime(2018, 1, 1, tzinfo=UTC)
    assert held.updated_at == datetime(2020, 1, 6, tzinfo=UTC)
    assert_statistics_match_rows(catalogue["heat"])


def test_an_older_file_row_leaves_a_held_rating_alone(user, user_client, catalogue):
    moment = datetime(2020, 1, 6, tzinfo=UTC)  # the same date as the file's: not newer
    held = held_rating(user, catalogue["heat"], "1.0", "", rated_at=moment, updated_at=moment)
    body = upload(user_client, fixture("imdb_ratings.csv")).json()
    assert (body["created"], body["updated"], body["unchanged"]) == (5, 0, 1)
    held.refresh_from_db()
    assert (held.score, held.updated_at) == (Decimal("1.0"), moment)


def test_when_a_movie_repeats_in_a_file_the_later_row_wins(user, user_client, catalogue):
    content = (
        "Date,Name,Year,Letterboxd URI,Rating\n"
        "2020-01-01,Heat,1995,u,2\n"
        "2019-01-01,Heat,1995,u,4.5\n"
        "2018-01-01,heat,1995,u,3\n"
    )
    body = upload(user_client, content).json()
    assert (body["created"], body["updated"], body["unchanged"]) == (1, 0, 2)
    rating = Rating.objects.get(user=user)
    assert rating.score == Decimal("3.0")
    assert_statistics_match_rows(catalogue["heat"])


def test_an_import_shows_in_cached_reads_at_once(
    user, user_client, api_client, catalogue, django_capture_on_commit_callbacks
):
    detail = reverse("movie-detail", kwargs={"pk": catalogue["heat"].pk})
    profile = reverse("user-ratings", kwargs={"username": user.username})
    assert api_client.get(detail).json()["ratings_count"] == 0
    assert api_client.get(profile).json()["count"] == 0
    assert api_client.get(detail)["X-Cache"] == "HIT"
    with django_capture_on_commit_callbacks(execute=True):  # invalidation runs after commit
        upload(user_client, fixture("imdb_ratings.csv"))
    assert api_client.get(detail).json()["ratings_count"] == 1
    assert api_client.get(profile).json()["count"] == 6


def test_an_import_counts_once_against_the_write_throttle(user_client, catalogue, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"writes": "2/min"}}
    statuses = [upload(user_client, fixture("imdb_ratings.csv")).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_importing_needs_authentication(api_client, catalogue):
    assert_problem(upload(api_client, fixture("imdb_ratings.csv")), 401)


def test_a_byte_order_mark_crlf_line_ends_and_blank_lines_are_read(user, user_client, catalogue):
    content = "\ufeffDate,Name,Year,Letterboxd URI,Rating\r\n\r\n  \r\n,,,,\r\n2020-01-01,Heat,1995,u,4\r\n\r\n"
    body = upload(user_client, content).json()
    assert (body["format"], body["created"], body["invalid"]) == ("letterboxd", 1, [])


def test_a_quoted_field_over_several_lines_numbers_rows_by_their_first_line(user_client, catalogue):
    content = (
        "movie_id,title,year,imdb_id,tmdb_id,score,review,rated_at,updated_at\n"
        '1,Heat,1995,,,4.0,"one\ntwo\nthree",2020-01-01T00:00:00Z,2020-01-01T00:00:00Z\n'
        "2,Nowhere,1995,,,4.0,,2020-01-01T00:00:00Z,2020-01-01T00:00:00Z\n"
    )
    body = upload(user_client, content).json()
    assert body["unmatched"][0]["line"] == 5


def test_rows_with_the_wrong_number_of_fields_or_bad_values_are_invalid_and_the_rest_imported(user_client, catalogue):
    content = (
        "Date,Name,Year,Letterboxd URI,Rating,Extra\n"
        "2020-01-01,Heat,1995,u,4,x\n"
        "2020-01-01,Heat,1995,u\n"
        "2020-01-01,Amélie,20O1,u,4,x\n"
        "2999-01-01,Amélie,2001,u,4,x\n"
        "2020-01-01,Amélie,2001,u,-1,x\n"
        "2020-01-01,Amélie,2001,u,NaN,x\n"
    )
    body = upload(user_client, content).json()
    assert body["created"] == 1
    reasons = {row["line"]: row["reason"] for row in body["invalid"]}
    assert reasons[3] == "expected 6 fields, found 4"
    assert "is not a year" in reasons[4]
    assert "in the future" in reasons[5]
    assert "'-1'" in reasons[6]
    assert "'NaN'" in reasons[7]


def test_own_dates_before_1900_or_unreadable_are_invalid(user_client, catalogue):
    content = (
        "movie_id,title,year,imdb_id,tmdb_id,score,review,rated_at,updated_at\n"
        "1,Heat,1995,,,4.0,,0001-01-01T00:00:00+14:00,2020-01-01T00:00:00Z\n"
        "1,Heat,1995,,,4.0,,,2020-01-01T25:00:00Z\n"
        "1,Heat,1995,,,4.0,,,yesterday\n"
        "1,Heat,1995,,,4.0,,,2020-01-01\n"
    )
    body = upload(user_client, content).json()
    reasons = {row["line"]: row["reason"] for row in body["invalid"]}
    assert reasons[2] == "rated_at '0001-01-01T00:00:00+14:00' is before 1900"
    assert "'2020-01-01T25:00:00Z' is not a date and time" in reasons[3]
    assert "'yesterday'" in reasons[4]
    assert body["created"] == 1  # a bare date is midnight UTC


def test_an_own_review_longer_than_the_limit_is_invalid(user_client, catalogue):
    content = (
        "movie_id,title,year,imdb_id,tmdb_id,score,review,rated_at,updated_at\n"
        f"1,Heat,1995,,,4.0,{'x' * 2001},2020-01-01T00:00:00Z,2020-01-01T00:00:00Z\n"
    )
    body = upload(user_client, content).json()
    assert body["invalid"] == [{"line": 2, "reason": "the review is longer than 2000 characters"}]


def test_many_columns_are_accepted_and_only_the_known_ones_read(user_client, catalogue):
    extra = ",".join(f"c{n}" for n in range(5000))
    content = f"Rating,Year,Name,Letterboxd URI,Date,{extra}\n4,1995,Heat,u,2020-01-01,{',' * 4999}\n"
    body = upload(user_client, content).json()
    assert (body["format"], body["created"]) == ("letterboxd", 1)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Date,Name,Year,Letterboxd URI,Rating\n2020-01-01,Am\xe9lie,2001,u,4\n", "not UTF-8"),
        (b"Date,Name,Year,Letterboxd URI,Rating\n2020-01-01,He\x00at,1995,u,4\n", "NUL bytes"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8"),
        (b"", "empty"),
        (b"userId,movieId,rating,timestamp\n1,1,4.0,964982703\n", "Unknown header"),
        (b'{"ratings": [1, 2, 3]}', "Unknown header"),
        (b'Date,Name,Year,Letterboxd URI,Rating\n2020-01-01,"Heat,1995,u,4\n', "not valid CSV"),
        (b"Date,Name,Year,Letterboxd URI,Rating\n2020-01-01," + b"x" * 200_000 + b",1995,u,4\n", "not valid CSV"),
    ],
)
def test_a_file_that_cannot_be_read_is_a_400_naming_the_problem_with_nothing_written(
    user, user_client, catalogue, content, message
):
    body = assert_problem(upload(user_client, content), 400)
    assert body["errors"][0]["field"] == "file"
    assert message in body["errors"][0]["message"]
    assert Rating.objects.count() == 0


def test_an_unknown_header_is_quoted_back_shortened(user_client, catalogue):
    body = assert_problem(upload(user_client, ",".join(f"column{n}" for n in range(1000)) + "\n"), 400)
    assert len(body["errors"][0]["message"]) < 600


def test_a_request_without_a_file_is_a_400_naming_file(user_client, catalogue):
    body = assert_problem(user_client.post(URL, {"other": "x"}, format="multipart"), 400)
    assert body["errors"][0]["field"] == "file"


def test_a_json_body_is_a_415(user_client, catalogue):
    assert_problem(user_client.post(URL, {"file": "x"}, format="json"), 415)


def test_a_file_over_five_mebibytes_is_a_413_with_nothing_written(user_client, catalogue):
    row = "2020-01-01,Heat,1995,https://boxd.it/2bLo,4\n"
    content = "Date,Name,Year,Letterboxd URI,Rating\n" + row * (6 * 1024 * 1024 // len(row))
    body = assert_problem(upload(user_client, content), 413)
    assert "limit of this endpoint" in body["detail"]
    assert Rating.objects.count() == 0


def test_a_file_over_the_limit_inside_an_allowed_body_is_a_413_naming_the_file(user_client, catalogue, settings):
    settings.RATINGS_IMPORT_MAX_BYTES = 100
    body = assert_problem(upload(user_client, fixture("imdb_ratings.csv")), 413)
    assert body["detail"].startswith("The file is larger than 100 bytes")
    assert Rating.objects.count() == 0


def test_a_file_of_several_mebibytes_is_accepted_on_this_path_only(user_client, catalogue):
    row = "2020-01-01,Heat,1995,https://boxd.it/2bLo,4\n"
    content = "Date,Name,Year,Letterboxd URI,Rating\n" + row * (4 * 1024 * 1024 // len(row))
    body = upload(user_client, content).json()
    assert (body["created"], body["unchanged"]) == (1, 4 * 1024 * 1024 // len(row) - 1)
    # The general limit still holds everywhere else.
    response = user_client.patch(reverse("user-me"), {"email": "x" * 100_000}, format="json")
    assert_problem(response, 413)


def test_a_format_query_parameter_does_not_get_in_the_way(user_client, catalogue):
    assert upload(user_client, fixture("imdb_ratings.csv"), query="?format=csv").status_code == 200


def test_the_round_trip_export_then_import_into_another_account_gives_identical_ratings(user, user_client, catalogue):
    twin = MovieFactory.create(title="Emma", year=1996)  # a third Emma: only the movie id tells them apart
    for movie, score, review in [
        (catalogue["heat"], "4.5", 'He said "no", then, yes'),
        (catalogue["emma_b"], "2.0", "=1+1"),
        (twin, "3.5", "+cmd|' /C calc'!A0"),
        (catalogue["amelie"], "5.0", "Line one\r\nline two, été"),
        (catalogue["leon"], "0.5", ""),
    ]:
        rating_upsert(user=user, movie=movie, score=Decimal(score), review=review)
    exported = b"".join(user_client.get(reverse("my-ratings-export")).streaming_content)
    other = UserFactory.create()
    body = upload(client_for(other), exported).json()
    assert (body["format"], body["created"], body["unmatched"], body["invalid"]) == ("own", 5, [], [])
    fields = ("movie_id", "score", "review", "rated_at", "updated_at")
    mine = sorted(Rating.objects.filter(user=user).values_list(*fields))
    theirs = sorted(Rating.objects.filter(user=other).values_list(*fields))
    assert theirs == mine


def test_a_movie_deleted_between_matching_and_writing_is_reported_unmatched(user, user_client, catalogue, monkeypatch):
    from ratings import services
    from ratings.transfer import MatchedRow, match_rows

    def match_then_lose_one(rows):
        matched, unmatched = match_rows(rows)
        lost = matched[0]
        return [MatchedRow(lost.row, 2_000_000_000), *matched[1:]], unmatched

    monkeypatch.setattr(services, "match_rows", match_then_lose_one)
    body = upload(user_client, fixture("imdb_ratings.csv")).json()
    assert body["created"] == 5
    assert body["unmatched"][0] == {
        "line": 2,
        "title": "The Usual Suspects",
        "year": 1995,
        "reason": "not found in the catalogue",
    }
    for movie in catalogue.values():
        assert_statistics_match_rows(movie)


def token_client(user, scopes: list[str]):
    """A client authenticated with a personal access token of `user` (SPEC section 12)."""
    from rest_framework.test import APIClient

    from users.services import token_create

    _, raw = token_create(owner=user, name=f"script {'+'.join(scopes)}", scopes=scopes, expires_in_days=30)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_a_read_only_personal_token_can_export_but_not_import(user, catalogue):
    rating_upsert(user=user, movie=catalogue["heat"], score=Decimal("4.0"), review="")
    reader = token_client(user, ["read"])
    exported = reader.get(reverse("my-ratings-export"))
    assert exported.status_code == 200
    assert b"Heat" in b"".join(exported.streaming_content)
    assert_problem(upload(reader, fixture("imdb_ratings.csv")), 403)
    assert Rating.objects.filter(user=user).count() == 1


def test_a_write_personal_token_can_import(user, catalogue):
    body = upload(token_client(user, ["read", "write"]), fixture("imdb_ratings.csv")).json()
    assert body["created"] == 6


def test_options_on_the_import_describes_it_without_a_500(user_client):
    response = user_client.options(reverse("my-ratings-import"))
    assert response.status_code == 200
    assert response.json()["parses"] == ["multipart/form-data"]
