import re
from decimal import Decimal

from django.urls import reverse

from movies.tests.factories import MovieFactory
from ratings.services import rating_upsert
from users.tests.factories import UserFactory


def test_the_movie_page_shows_details_and_statistics(client, movie):
    html = client.get(reverse("web:movie", args=[movie.pk])).content.decode()

    assert "<h1" in html and "The Godfather" in html
    assert "Drama" in html
    assert '<dd id="stat-average">3.50 / 5</dd>' in html
    assert '<dd id="stat-count">2</dd>' in html
    assert "https://www.imdb.com/title/tt0068646/" in html


def test_the_distribution_chart_has_every_score_and_bars_relative_to_the_largest(client, movie):
    rating_upsert(user=UserFactory.create(), movie=movie, score=Decimal("4.0"), review="")

    html = client.get(reverse("web:movie", args=[movie.pk])).content.decode()

    rows = re.findall(r'<th scope="row">([\d.]+)</th>\s*<td class="num">(\d+)</td>', html)
    assert [score for score, _ in rows] == [f"{n / 2:.1f}" for n in range(1, 11)]
    assert dict(rows)["4.0"] == "2" and dict(rows)["3.0"] == "1" and dict(rows)["0.5"] == "0"
    widths = re.findall(r'<rect width="([\d.]+)"', html)
    assert widths[7] == "100.0" and widths[5] == "50.0" and widths[0] == "0.0"


def test_an_unrated_movie_says_so(client, db):
    movie = MovieFactory.create(title="Nobody saw it")

    html = client.get(reverse("web:movie", args=[movie.pk])).content.decode()

    assert "No ratings yet" in html


def test_an_unknown_movie_is_a_404_page_in_html(client, db):
    response = client.get(reverse("web:movie", args=[999999]))

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_anonymous_visitors_are_asked_to_log_in_to_rate(client, movie):
    html = client.get(reverse("web:movie", args=[movie.pk])).content.decode()

    assert 'name="score"' not in html
    assert f"{reverse('web:login')}?next={reverse('web:movie', args=[movie.pk])}" in html


def test_a_member_sees_their_own_rating_checked_and_their_review(member_client, member, movie):
    rating_upsert(user=member, movie=movie, score=Decimal("4.5"), review="Leave the gun.")

    html = member_client.get(reverse("web:movie", args=[movie.pk])).content.decode()

    assert 'value="4.5" class="star-input" checked' in html
    assert html.count(" checked") == 1
    assert "Leave the gun.</textarea>" in html
    assert "You rated it 4.5 out of 5" in html


def test_the_rating_control_is_ten_labelled_radios_in_a_fieldset(member_client, movie):
    html = member_client.get(reverse("web:movie", args=[movie.pk])).content.decode()

    radios = re.findall(r'<input type="radio" name="score" id="(score-\d+)" value="([\d.]+)"', html)
    assert [value for _, value in radios] == [f"{n / 2:.1f}" for n in range(1, 11)]
    for radio_id, _ in radios:
        assert f'<label for="{radio_id}"' in html
    assert '<span class="visually-hidden">0.5 stars</span>' in html
    assert '<span class="visually-hidden">1 star</span>' in html
    assert '<span class="visually-hidden">5 stars</span>' in html
    assert "<legend>Score, in half stars from 0.5 to 5</legend>" in html


def test_the_movie_page_costs_a_fixed_number_of_queries(client, member_client, movie, django_assert_num_queries):
    url = reverse("web:movie", args=[movie.pk])
    client.get(url)  # the catalogue-wide mean is cached from here on
    for extra in (0, 30):
        for _ in range(extra):
            rating_upsert(user=UserFactory.create(), movie=movie, score=Decimal("2.5"), review="")
        # movie, its genres, the distribution, the similar movies (none: no model is built)
        with django_assert_num_queries(4):
            assert client.get(url).status_code == 200
        # and for a member: session, user, their rating
        with django_assert_num_queries(7):
            assert member_client.get(url).status_code == 200
