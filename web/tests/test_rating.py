from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from conftest import client_for
from ratings.models import Rating
from ratings.services import rating_upsert

FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


def rate_url(movie):
    return reverse("web:movie-rate", args=[movie.pk])


def test_rating_without_javascript_saves_through_the_service_and_reloads_the_page(member_client, member, movie):
    response = member_client.post(rate_url(movie), {"score": "5.0", "review": "A classic."})

    assert response.status_code == 302
    assert response["Location"] == reverse("web:movie", args=[movie.pk]) + "#your-rating"
    rating = Rating.objects.get(user=member, movie=movie)
    assert (rating.score, rating.review) == (Decimal("5.0"), "A classic.")
    movie.refresh_from_db()
    assert (movie.ratings_count, movie.ratings_sum) == (3, Decimal("12.0"))
    page = member_client.get(response["Location"]).content.decode()
    assert "Saved your rating: 5 out of 5." in page
    assert '<dd id="stat-average">4.00 / 5</dd>' in page


def test_rating_with_javascript_answers_the_new_statistics_as_fragments(member_client, movie):
    response = member_client.post(rate_url(movie), {"score": "2.0", "review": ""}, **FETCH)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="movie-stats"')
    assert '<dd id="stat-average">3.00 / 5</dd>' in html
    assert '<dd id="stat-count">3</dd>' in html
    assert 'id="rating-status"' in html and "Saved your rating: 2 out of 5." in html
    assert 'id="rating-actions"' in html and "Remove my rating" in html
    assert "no-store" in response["Cache-Control"]


def test_rating_again_replaces_the_rating_and_says_updated(member_client, member, movie):
    rating_upsert(user=member, movie=movie, score=Decimal("1.0"), review="meh")

    response = member_client.post(rate_url(movie), {"score": "3.5"}, **FETCH)

    assert "Updated your rating: 3.5 out of 5." in response.content.decode()
    rating = Rating.objects.get(user=member, movie=movie)
    assert (rating.score, rating.review) == (Decimal("3.5"), "")  # a full replacement, like the API's PUT
    movie.refresh_from_db()
    assert movie.ratings_count == 3


@pytest.mark.parametrize("score", ["0", "5.5", "4.25", "abc", "nan"])
def test_a_score_off_the_scale_is_a_400_and_nothing_is_written(member_client, movie, score):
    response = member_client.post(rate_url(movie), {"score": score})

    assert response.status_code == 400
    assert "A score must be" in response.content.decode()
    assert not Rating.objects.filter(movie=movie, user__username="alice").exists()


def test_no_score_chosen_is_a_400_asking_for_one(member_client, movie):
    response = member_client.post(rate_url(movie), {"review": "Forgot the stars"}, **FETCH)

    assert response.status_code == 400
    assert "Choose a score" in response.content.decode()


def test_a_review_over_2000_characters_is_a_400_keeping_what_was_typed(member_client, movie):
    response = member_client.post(rate_url(movie), {"score": "4.0", "review": "x" * 2001})

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="review-error"' in html
    assert "x" * 2001 + "</textarea>" in html
    assert 'value="4.0" class="star-input" checked' in html


def test_browser_line_breaks_count_as_one_character(member_client, member, movie):
    review = "line\r\n" * 400  # 2,400 characters as sent, 2,000 as stored

    assert member_client.post(rate_url(movie), {"score": "4.0", "review": review}).status_code == 302
    assert Rating.objects.get(user=member, movie=movie).review == "line\n" * 400


def test_anonymous_visitors_are_sent_to_log_in(client, movie):
    response = client.post(rate_url(movie), {"score": "4.0"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login") + "?next=")
    assert movie.ratings.count() == 2


def test_rating_needs_the_csrf_token(member, movie):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member)

    response = browser.post(rate_url(movie), {"score": "4.0"})

    assert response.status_code == 403
    assert not Rating.objects.filter(user=member).exists()


def test_rating_an_unknown_movie_is_a_404(member_client, db):
    assert member_client.post(reverse("web:movie-rate", args=[999999]), {"score": "4.0"}).status_code == 404


def test_reading_the_rating_url_is_not_allowed(member_client, movie):
    assert member_client.get(rate_url(movie)).status_code == 405


def test_rating_writes_share_the_api_write_throttle_rejected_ones_included(member, member_client, movie, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"writes": "3/min"}}
    api = client_for(member)

    assert api.put(f"/api/movies/{movie.pk}/rating/", {"score": 9}, format="json").status_code == 400
    assert member_client.post(rate_url(movie), {"score": "9"}).status_code == 400
    assert member_client.post(rate_url(movie), {"score": "4.0"}).status_code == 302
    throttled = member_client.post(rate_url(movie), {"score": "4.5"})

    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) >= 1
    assert Rating.objects.get(user=member, movie=movie).score == Decimal("4.0")
    fetch = member_client.post(rate_url(movie), {"score": "4.5"}, **FETCH)
    assert fetch.status_code == 429 and 'id="rating-status"' in fetch.content.decode()


def test_a_web_rating_invalidates_the_api_caches_like_an_api_rating(
    member_client, api_client, movie, django_capture_on_commit_callbacks
):
    detail = f"/api/movies/{movie.pk}/"
    assert api_client.get(detail).json()["ratings_count"] == 2
    assert api_client.get(detail)["X-Cache"] == "HIT"

    with django_capture_on_commit_callbacks(execute=True):
        member_client.post(rate_url(movie), {"score": "5.0"})

    fresh = api_client.get(detail)
    assert fresh["X-Cache"] == "MISS"
    assert (fresh.json()["ratings_count"], fresh.json()["average_rating"]) == (3, 4.0)
    assert api_client.get("/api/users/alice/ratings/").json()["count"] == 1


def test_removing_my_rating_goes_through_the_service(member_client, member, movie):
    rating_upsert(user=member, movie=movie, score=Decimal("5.0"), review="")

    response = member_client.post(reverse("web:movie-rating-delete", args=[movie.pk]))

    assert response.status_code == 302
    assert not Rating.objects.filter(user=member, movie=movie).exists()
    movie.refresh_from_db()
    assert (movie.ratings_count, movie.ratings_sum) == (2, Decimal("7.0"))
    assert "Removed your rating." in member_client.get(response["Location"]).content.decode()


def test_removing_a_rating_i_do_not_have_is_a_404(member_client, movie):
    assert member_client.post(reverse("web:movie-rating-delete", args=[movie.pk])).status_code == 404


def test_removing_a_rating_needs_a_login(client, movie):
    response = client.post(reverse("web:movie-rating-delete", args=[movie.pk]))

    assert response.status_code == 302 and response["Location"].startswith(reverse("web:login"))
    assert movie.ratings.count() == 2


def test_removing_counts_against_the_write_throttle(member_client, member, movie, small_throttle_rates):
    rating_upsert(user=member, movie=movie, score=Decimal("5.0"), review="")
    member_client.post(rate_url(movie), {"score": "4.0"})
    member_client.post(rate_url(movie), {"score": "3.0"})

    response = member_client.post(reverse("web:movie-rating-delete", args=[movie.pk]))

    assert response.status_code == 429
    assert Rating.objects.filter(user=member, movie=movie).exists()
