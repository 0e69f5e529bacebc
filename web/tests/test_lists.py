from decimal import Decimal

from django.urls import reverse

from movies.tests.factories import MovieFactory
from ratings.services import rating_upsert
from users.tests.factories import UserFactory


def rate(user, title, score, review=""):
    movie = MovieFactory.create(title=title)
    rating_upsert(user=user, movie=movie, score=Decimal(score), review=review)
    return movie


def test_my_ratings_needs_a_login(client, db):
    response = client.get(reverse("web:my-ratings"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('web:login')}?next={reverse('web:my-ratings')}"


def test_my_ratings_lists_only_mine_latest_first_and_is_never_stored(member_client, member):
    rate(member, "Older", "3.0")
    rate(member, "Newer", "4.5", review="<b>bold</b> claim")
    rate(UserFactory.create(), "Someone else's", "1.0")

    response = member_client.get(reverse("web:my-ratings"))

    html = response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert "2 ratings" in html
    assert html.index("Newer") < html.index("Older")
    assert "Someone else" not in html
    assert "&lt;b&gt;bold&lt;/b&gt; claim" in html


def test_my_ratings_sort_and_filter_like_the_api(member_client, member):
    rate(member, "Bravo", "2.0")
    rate(member, "Alpha", "4.0")
    rate(member, "Charlie", "5.0")

    by_title = member_client.get(reverse("web:my-ratings"), {"ordering": "movie__title"}).content.decode()
    good_ones = member_client.get(reverse("web:my-ratings"), {"min_score": "4.0"}).content.decode()

    assert by_title.index("Alpha") < by_title.index("Bravo") < by_title.index("Charlie")
    assert "Bravo" not in good_ones and "Alpha" in good_ones and "Charlie" in good_ones


def test_an_off_scale_filter_is_a_400_page_naming_it(member_client, member):
    response = member_client.get(reverse("web:my-ratings"), {"min_score": "4.2"})

    assert response.status_code == 400
    assert "min_score" in response.content.decode()


def test_my_ratings_costs_the_same_queries_whatever_its_size(member_client, member, django_assert_num_queries):
    for count in (2, 30):
        for n in range(count):
            rate(member, f"Film {count}-{n}", "3.5")
        # session, user, count, page of ratings with their movies
        with django_assert_num_queries(4):
            assert member_client.get(reverse("web:my-ratings")).status_code == 200


def test_a_public_profile_shows_statistics_and_ratings_but_never_the_email(client, member):
    rate(member, "Heat", "4.0")
    rate(member, "Ronin", "3.0")

    response = client.get(reverse("web:profile", args=["ALICE"]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>alice</h1>" in html
    assert "3.50 / 5" in html and "Heat" in html and "Ronin" in html
    assert "alice@example.com" not in html


def test_an_unknown_profile_is_a_404(client, db):
    assert client.get(reverse("web:profile", args=["nobody"])).status_code == 404


def test_a_profile_costs_the_same_queries_whatever_its_size(client, member, django_assert_num_queries):
    for count in (1, 25):
        for n in range(count):
            rate(member, f"Film {count}-{n}", "2.5")
        # user, count, page of ratings with their movies
        with django_assert_num_queries(3):
            assert client.get(reverse("web:profile", args=["alice"])).status_code == 200
