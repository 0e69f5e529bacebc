from decimal import Decimal

import psycopg
import pytest
from django.db import connection
from django.urls import reverse

from conftest import client_for
from ratings import services
from ratings.models import Rating
from ratings.tests.conftest import assert_statistics_match_rows
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def url(movie) -> str:
    return reverse("movie-own-rating", kwargs={"movie_id": movie.pk})


def test_a_first_rating_is_created_with_the_new_statistics(user_client, movie):
    response = user_client.put(url(movie), {"score": 4.5, "review": "Great"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["movie"] == {"id": movie.pk, "title": "Heat", "year": 1995, "average_rating": 4.5, "ratings_count": 1}
    assert body["score"] == 4.5
    assert body["review"] == "Great"
    assert body["rated_at"] == body["updated_at"]


def test_a_second_put_replaces_the_rating_and_keeps_rated_at(user_client, movie):
    first = user_client.put(url(movie), {"score": 2, "review": "meh"}, format="json").json()
    response = user_client.put(url(movie), {"score": "4.5"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["score"] == 4.5
    assert body["review"] == ""  # a full replacement: the omitted review becomes empty
    assert body["rated_at"] == first["rated_at"]
    assert body["updated_at"] > first["updated_at"]
    assert body["movie"]["ratings_count"] == 1
    assert Rating.objects.count() == 1


def test_an_identical_put_changes_nothing(user_client, movie):
    first = user_client.put(url(movie), {"score": 3, "review": "ok"}, format="json").json()
    response = user_client.put(url(movie), {"score": "3.0", "review": "ok"}, format="json")
    assert response.status_code == 200
    assert response.json()["updated_at"] == first["updated_at"]


def test_version_2_shows_the_movie_statistics_in_one_object(user_client, movie):
    response = user_client.put(url(movie), {"score": 4}, format="json", HTTP_ACCEPT="application/json; version=2")
    assert response.status_code == 201
    assert response.json()["movie"] == {
        "id": movie.pk,
        "title": "Heat",
        "year": 1995,
        "rating": {"average": 4.0, "count": 1},
    }
    assert response["API-Version"] == "2"


@pytest.mark.parametrize("score", [4, 4.0, "4.5", "0.5", 5, "5.0"])
def test_accepted_scores(user_client, movie, score):
    assert user_client.put(url(movie), {"score": score}, format="json").status_code == 201


@pytest.mark.parametrize("score", [0, 5.5, 4.25, None, True, False, "abc", "", "NaN", "Infinity", [], {}, -1])
def test_rejected_scores_are_a_400_naming_score(user_client, movie, score):
    response = user_client.put(url(movie), {"score": score}, format="json")
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["score"]
    assert Rating.objects.count() == 0


def test_a_missing_score_is_a_400_naming_score(user_client, movie):
    response = user_client.put(url(movie), {"review": "no score"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "score"


def test_a_null_review_counts_as_empty(user_client, movie):
    response = user_client.put(url(movie), {"score": 3, "review": None}, format="json")
    assert response.status_code == 201
    assert response.json()["review"] == ""


def test_a_review_over_2000_characters_is_a_400(user_client, movie):
    response = user_client.put(url(movie), {"score": 3, "review": "x" * 2001}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "review"


def test_a_review_of_exactly_2000_characters_is_kept(user_client, movie):
    response = user_client.put(url(movie), {"score": 3, "review": "é" * 2000}, format="json")
    assert response.status_code == 201


def test_rating_a_movie_that_does_not_exist_is_a_404(user_client):
    response = user_client.put(reverse("movie-own-rating", kwargs={"movie_id": 999999}), {"score": 3}, format="json")
    assert response.status_code == 404


def test_anonymous_callers_get_a_401_with_www_authenticate(api_client, movie):
    for method in ("get", "put", "delete"):
        response = getattr(api_client, method)(url(movie), {"score": 3}, format="json")
        assert response.status_code == 401
        assert response.has_header("WWW-Authenticate")


def test_get_returns_the_callers_rating_in_the_put_shape(user_client, movie):
    user_client.put(url(movie), {"score": 3.5, "review": "fine"}, format="json")
    response = user_client.get(url(movie))
    assert response.status_code == 200
    assert response.json()["score"] == 3.5
    assert response.json()["movie"]["average_rating"] == 3.5


def test_get_without_a_rating_is_a_404(user_client, movie):
    assert user_client.get(url(movie)).status_code == 404


def test_delete_removes_the_rating_and_its_statistics(user_client, movie):
    user_client.put(url(movie), {"score": 3.5}, format="json")
    assert user_client.delete(url(movie)).status_code == 204
    assert Rating.objects.count() == 0
    assert_statistics_match_rows(movie)
    assert user_client.delete(url(movie)).status_code == 404


def test_one_user_never_touches_another_users_rating(user_client, movie):
    other = UserFactory.create()
    client_for(other).put(url(movie), {"score": 1}, format="json")
    assert user_client.get(url(movie)).status_code == 404
    assert user_client.delete(url(movie)).status_code == 404
    user_client.put(url(movie), {"score": 5}, format="json")
    assert Rating.objects.get(user=other).score == Decimal("1.0")
    movie.refresh_from_db()
    assert (movie.ratings_count, movie.ratings_sum, movie.average_rating) == (2, Decimal("6.0"), Decimal("3.00"))


def test_malformed_json_is_a_400_and_writes_nothing(user_client, movie):
    response = user_client.put(url(movie), "{bad", content_type="application/json")
    assert response.status_code == 400
    assert Rating.objects.count() == 0


def test_rating_writes_are_throttled_per_user_even_when_rejected(user_client, movie, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"writes": "3/min"}}
    statuses = [user_client.put(url(movie), {"score": 9}, format="json").status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    response = user_client.put(url(movie), {"score": 3}, format="json")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["status"] == 429
    # Reads are not throttled, and other users have their own budget.
    assert user_client.get(url(movie)).status_code == 404
    assert client_for(UserFactory.create()).put(url(movie), {"score": 3}, format="json").status_code == 201


def test_options_describes_the_endpoint_with_or_without_a_rating(user_client, movie):
    assert user_client.options(url(movie)).status_code == 200
    user_client.put(url(movie), {"score": 3}, format="json")
    assert user_client.options(url(movie)).status_code == 200
    assert user_client.options(reverse("movie-own-rating", kwargs={"movie_id": 0})).status_code == 200


def test_own_rating_reads_and_writes_cost_a_fixed_number_of_queries(user_client, movie, django_assert_num_queries):
    assert user_client.get(url(movie)).status_code == 404  # the caller is cached from now on (users.authstate)
    # PUT (create, then replace, then the same again): the write throttle's one (the counting
    # upsert, which returns the previous bucket too: config.api.throttling), and on PostgreSQL one
    # message holding the rater's lock and one statement that reads the old rating, writes it,
    # updates both statistics and returns the movie with its statistics after the write. No
    # savepoint, no movie read before or after. (The ORM fallback elsewhere takes more.)
    expected = 2 if connection.vendor == "postgresql" else 10
    with django_assert_num_queries(expected):
        assert user_client.put(url(movie), {"score": 4}, format="json").status_code == 201
    with django_assert_num_queries(expected):
        assert user_client.put(url(movie), {"score": 3}, format="json").status_code == 200
    with django_assert_num_queries(expected if connection.vendor == "postgresql" else 7):
        assert user_client.put(url(movie), {"score": 3}, format="json").status_code == 200
    # GET: the rating with its movie in one query.
    with django_assert_num_queries(1):
        assert user_client.get(url(movie)).status_code == 200
    # DELETE: the write throttle's one, the rating with its movie and rater, the savepoint pair,
    # the locked user, the delete, both statistics.
    with django_assert_num_queries(8):
        assert user_client.delete(url(movie)).status_code == 204


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_put_writes_in_one_round_trip_without_begin_or_commit(movie, monkeypatch, django_assert_num_queries):
    # Outside a transaction the lock and the write go out as one message, which PostgreSQL runs as
    # one implicit transaction: psycopg sends no BEGIN, SAVEPOINT or COMMIT of its own for it.
    client = client_for(UserFactory.create())
    commands: list[object] = []
    exec_command = psycopg.Connection._exec_command

    def recording(self, command, *args, **kwargs):
        commands.append(command)
        return exec_command(self, command, *args, **kwargs)

    assert client.get(url(movie)).status_code == 404  # the caller is cached from now on (users.authstate)
    monkeypatch.setattr(psycopg.Connection, "_exec_command", recording)
    for score, status in ((4, 201), (2.5, 200)):
        with django_assert_num_queries(2):  # the throttle, the lock with the write
            assert client.put(url(movie), {"score": score}, format="json").status_code == status
    assert commands == []
    assert list(Rating.objects.values_list("score", flat=True)) == [Decimal("2.5")]
    assert_statistics_match_rows(movie)


def test_a_review_that_looks_like_sql_is_stored_as_written(user_client, movie):
    # The lock and the write go out as one message of several statements: a review full of quotes,
    # semicolons and backslashes is a value in it, never a statement of its own.
    review = "x'); DELETE FROM ratings_rating; -- \\' $$ %s %(user)s ;\nSELECT 1; E'\\x00'"
    response = user_client.put(url(movie), {"score": 4, "review": review}, format="json")
    assert response.status_code == 201
    assert response.json()["review"] == review
    assert list(Rating.objects.values_list("review", flat=True)) == [review]


@pytest.mark.postgres
def test_a_put_with_server_side_binding_locks_and_writes_in_a_transaction_of_its_own(
    user_client, movie, monkeypatch, django_assert_num_queries
):
    # Server-side binding cannot send two statements in one message: the lock, then the write,
    # inside a transaction (a savepoint within the test's).
    monkeypatch.setattr(services, "_simple_queries", lambda: False)
    with django_assert_num_queries(6):  # the caller, the throttle, savepoint, lock, write, release
        assert user_client.put(url(movie), {"score": 4}, format="json").status_code == 201
    response = user_client.put(url(movie), {"score": 3, "review": "ok"}, format="json")
    assert response.status_code == 200
    assert response.json()["movie"]["ratings_count"] == 1
    assert_statistics_match_rows(movie)


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_put_answers_byte_for_byte_what_a_get_of_the_same_rating_answers(user_client, movie, version):
    accept = f"application/json; version={version}"
    for score in (4, 2.5, 2.5):  # created, replaced, unchanged
        put = user_client.put(url(movie), {"score": score, "review": "ok"}, format="json", HTTP_ACCEPT=accept)
        get = user_client.get(url(movie), HTTP_ACCEPT=accept)
        assert put.status_code in (200, 201)
        assert put.content == get.content


@pytest.mark.parametrize("movie_id", [0, 999_999, 2**31, 2**63 - 1, 10**30])
def test_a_put_on_a_movie_that_does_not_exist_is_a_404_and_writes_nothing(user_client, user, movie_id):
    response = user_client.put(reverse("movie-own-rating", kwargs={"movie_id": movie_id}), {"score": 4}, format="json")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")
    assert not Rating.objects.exists()
    user.refresh_from_db()
    assert (user.ratings_count, user.ratings_sum) == (0, 0)


def test_an_identical_put_changes_neither_the_row_nor_the_statistics(user_client, user, movie):
    first = user_client.put(url(movie), {"score": 3.5, "review": "x"}, format="json").json()
    again = user_client.put(url(movie), {"score": 3.5, "review": "x"}, format="json")
    assert again.status_code == 200
    assert again.json() == first
    movie.refresh_from_db()
    user.refresh_from_db()
    assert (movie.ratings_count, movie.ratings_sum, user.ratings_count, user.ratings_sum) == (1, 3.5, 1, 3.5)


def test_changing_only_the_review_keeps_the_statistics_and_moves_updated_at(user_client, movie):
    first = user_client.put(url(movie), {"score": 3.5, "review": "x"}, format="json").json()
    second = user_client.put(url(movie), {"score": 3.5, "review": "y"}, format="json").json()
    assert second["review"] == "y"
    assert second["updated_at"] > first["updated_at"]
    assert second["movie"] == first["movie"]
    assert_statistics_match_rows(movie)


@pytest.mark.parametrize("movie_id", [0, 999_999, 2**31, 2**63 - 1, 10**30])
def test_a_get_or_delete_on_a_movie_that_does_not_exist_is_a_404(user_client, movie_id):
    path = reverse("movie-own-rating", kwargs={"movie_id": movie_id})
    for response in (user_client.get(path), user_client.delete(path)):
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/problem+json")
