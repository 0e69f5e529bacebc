from decimal import Decimal

import pytest
from django.urls import reverse

from ratings.models import Rating
from ratings.services import rating_upsert
from ratings.tests.conftest import assert_statistics_match_rows
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_moderators_find_ratings_by_user_and_movie(admin_client, movie):
    rating_upsert(user=UserFactory.create(username="zelda"), movie=movie, score=Decimal("4.0"), review="")
    response = admin_client.get(reverse("admin:ratings_rating_changelist"), {"q": "zelda"})
    assert response.status_code == 200
    assert b"zelda" in response.content
    response = admin_client.get(reverse("admin:ratings_rating_changelist"), {"score": "4.0"})
    assert response.status_code == 200


def test_adding_a_rating_in_the_admin_updates_statistics(admin_client, movie):
    user = UserFactory.create()
    response = admin_client.post(
        reverse("admin:ratings_rating_add"), {"user": user.pk, "movie": movie.pk, "score": "3.5", "review": ""}
    )
    assert response.status_code == 302, response.content
    assert_statistics_match_rows(movie)
    assert movie.ratings_count == 1


def test_editing_a_score_in_the_admin_updates_statistics(admin_client, movie):
    rating, _ = rating_upsert(user=UserFactory.create(), movie=movie, score=Decimal("1.0"), review="")
    response = admin_client.post(
        reverse("admin:ratings_rating_change", args=[rating.pk]), {"score": "5.0", "review": "changed my mind"}
    )
    assert response.status_code == 302, response.content
    assert_statistics_match_rows(movie)
    assert movie.ratings_sum == Decimal("5.0")


def test_an_off_scale_score_is_refused_by_the_admin_form(admin_client, movie):
    response = admin_client.post(
        reverse("admin:ratings_rating_add"), {"user": UserFactory.create().pk, "movie": movie.pk, "score": "4.2"}
    )
    assert response.status_code == 200
    assert Rating.objects.count() == 0


def test_deleting_in_the_admin_keeps_statistics_exact(admin_client, movie):
    ratings = [
        rating_upsert(user=UserFactory.create(), movie=movie, score=Decimal("2.0"), review="")[0] for _ in range(3)
    ]
    admin_client.post(reverse("admin:ratings_rating_delete", args=[ratings[0].pk]), {"post": "yes"})
    assert_statistics_match_rows(movie)
    assert movie.ratings_count == 2
    admin_client.post(
        reverse("admin:ratings_rating_changelist"),
        {"action": "delete_selected", "_selected_action": [r.pk for r in ratings[1:]], "post": "yes"},
    )
    assert_statistics_match_rows(movie)
    assert movie.ratings_count == 0
