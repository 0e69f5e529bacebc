from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import resolve, reverse
from rest_framework_simplejwt.tokens import RefreshToken

from config.cache import auth_tag
from users.tests.factories import UserFactory
from users.tests.helpers import assert_problem
from users.views import UserViewSet

pytestmark = pytest.mark.django_db

User = get_user_model()


def profile_url(username: str) -> str:
    return reverse("user-detail", kwargs={"username": username})


def bearer_for(user) -> str:
    return f"Bearer {RefreshToken.for_user(user).access_token}"


def test_a_public_profile_shows_no_email_or_id(api_client):
    alice = UserFactory.create(username="alice")
    response = api_client.get(profile_url("alice"))
    assert response.status_code == 200
    assert response.json() == {
        "username": "alice",
        "date_joined": alice.date_joined.isoformat().replace("+00:00", "Z"),
        "ratings_count": 0,
        "average_score": None,
    }
    assert alice.email not in response.content.decode()


def test_the_average_score_is_a_json_number_rounded_half_up(api_client):
    alice = UserFactory.create(username="alice")
    # 4.5 + 4.0 + 3.5 + 2.5 + 3.0 + 3.5 + 3.0 + 3.5 = 27.5 over 8 ratings = 3.4375
    User.objects.filter(pk=alice.pk).update(ratings_count=8, ratings_sum=Decimal("27.5"))
    body = api_client.get(profile_url("alice")).json()
    assert body["ratings_count"] == 8
    assert body["average_score"] == 3.44


def test_the_profile_lookup_ignores_letter_case(api_client):
    UserFactory.create(username="Alice")
    response = api_client.get(profile_url("aLiCe"))
    assert response.status_code == 200
    assert response.json()["username"] == "Alice"


def test_an_unknown_username_is_a_problem_404(api_client):
    assert_problem(api_client.get(profile_url("nobody")), 404)


@pytest.mark.parametrize("username", ["a.b", "a@b.com", "a+b", "a-b", "movielens-12"])
def test_usernames_with_dots_at_signs_plus_and_dashes_have_profiles(api_client, username):
    UserFactory.create(username=username)
    assert api_client.get(f"/api/users/{username}/").status_code == 200


def test_anyone_may_read_a_profile_even_with_a_token(user_client):
    UserFactory.create(username="alice")
    assert user_client.get(profile_url("alice")).status_code == 200


@pytest.mark.parametrize("path", ["/api/users/me/ratings/", "/api/users/alice/ratings/"])
def test_profile_routes_do_not_shadow_the_rated_movies_lists(path):
    assert getattr(resolve(path).func, "cls", None) is not UserViewSet


def test_a_profile_is_cached_miss_then_hit(api_client):
    UserFactory.create(username="alice")
    first = api_client.get(profile_url("alice"))
    second = api_client.get(profile_url("alice"))
    assert (first["X-Cache"], second["X-Cache"]) == ("MISS", "HIT")
    assert first.content == second.content
    assert second["ETag"] == first["ETag"]


def test_a_profile_costs_one_query_and_none_once_cached(api_client, django_assert_num_queries):
    UserFactory.create(username="alice")
    with django_assert_num_queries(1):
        api_client.get(profile_url("alice"))
    with django_assert_num_queries(0):
        assert api_client.get(profile_url("alice"))["X-Cache"] == "HIT"


def test_a_cached_profile_answers_if_none_match_with_a_304(api_client):
    UserFactory.create(username="alice")
    etag = api_client.get(profile_url("alice"))["ETag"]
    assert api_client.get(profile_url("alice"), HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_a_rename_makes_the_next_read_fresh(api_client, django_capture_on_commit_callbacks):
    alice = UserFactory.create(username="alice")
    bob = UserFactory.create(username="bob")
    api_client.get(profile_url("alice"))
    api_client.get(profile_url("bob"))
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.patch(
            reverse("user-me"), {"username": "alicia"}, format="json", HTTP_AUTHORIZATION=bearer_for(alice)
        )
    assert response.status_code == 200
    assert_problem(api_client.get(profile_url("alice")), 404)
    renamed = api_client.get(profile_url("alicia"))
    assert (renamed["X-Cache"], renamed.json()["username"]) == ("MISS", "alicia")
    # Usernames show in other cached lists too, so a rename drops every cached response.
    assert api_client.get(profile_url(bob.username))["X-Cache"] == "MISS"


def test_deleting_a_user_drops_every_cached_response(api_client, django_capture_on_commit_callbacks):
    alice = UserFactory.create(username="alice")
    UserFactory.create(username="bob")
    api_client.get(profile_url("bob"))
    with django_capture_on_commit_callbacks(execute=True):
        alice.delete()
    assert api_client.get(profile_url("bob"))["X-Cache"] == "MISS"


def test_a_change_of_date_joined_refreshes_that_profile(api_client, django_capture_on_commit_callbacks):
    alice = UserFactory.create(username="alice")
    api_client.get(profile_url("alice"))
    alice.date_joined -= timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        alice.save()
    response = api_client.get(profile_url("alice"))
    assert response["X-Cache"] == "MISS"
    assert response.json()["date_joined"] == alice.date_joined.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("change", "update_fields"),
    [
        (lambda user: setattr(user, "email", "new@example.com"), None),
        (lambda user: user.set_password("another-long-passphrase"), None),
        (lambda user: setattr(user, "last_login", user.date_joined), ["last_login"]),
        (lambda user: None, None),
    ],
    ids=["email", "password", "last_login", "nothing"],
)
def test_saves_that_change_nothing_public_keep_the_cache(
    api_client, django_capture_on_commit_callbacks, change, update_fields
):
    alice = UserFactory.create(username="alice")
    api_client.get(profile_url("alice"))
    change(alice)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        alice.save(update_fields=update_fields)
    # Only the account's authentication state is dropped (users.authstate), never a response.
    assert [callback.args for callback in callbacks] == [(auth_tag(alice.pk),)]
    assert api_client.get(profile_url("alice"))["X-Cache"] == "HIT"


def test_saving_a_user_whose_row_vanished_invalidates_nothing(django_capture_on_commit_callbacks):
    alice = UserFactory.create(username="alice")
    User.objects.filter(pk=alice.pk).delete()
    with django_capture_on_commit_callbacks() as callbacks:
        alice.save()
    assert [callback.args for callback in callbacks] == [(auth_tag(alice.pk),)]  # no response tag


def test_a_last_login_save_costs_no_extra_query(django_assert_num_queries):
    alice = UserFactory.create(username="alice")
    alice.last_login = alice.date_joined
    with django_assert_num_queries(1):
        alice.save(update_fields=["last_login"])
