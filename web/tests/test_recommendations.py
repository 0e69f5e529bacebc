from decimal import Decimal

import pytest
from django.urls import reverse

from movies.tests.factories import GenreFactory, MovieFactory
from ratings.services import rating_upsert
from recommendations.services import similarity_model_build
from users.tests.factories import UserFactory


def rate(user, movie, score) -> None:
    rating_upsert(user=user, movie=movie, score=Decimal(str(score)), review="")


@pytest.fixture
def taste(db):
    """Six raters who like Heat and Ronin alike, The Notebook the opposite way (adjusted cosine:
    Heat~Ronin positive, Heat~Notebook negative, never stored)."""
    action = GenreFactory.create(name="Action")
    movies = {
        "heat": MovieFactory.create(title="Heat", year=1995, genres=[action]),
        "ronin": MovieFactory.create(title="Ronin", year=1998, genres=[action]),
        "notebook": MovieFactory.create(title="The Notebook", year=2004),
    }
    for user, a, b, c in zip(
        UserFactory.create_batch(6), [5, 4, 5, 1, 2, 1], [5, 5, 4, 1, 1, 2], [1, 2, 1, 5, 4, 5], strict=True
    ):
        rate(user, movies["heat"], a)
        rate(user, movies["ronin"], b)
        rate(user, movies["notebook"], c)
    return movies


def test_the_movie_page_lists_similar_movies_from_the_active_model(client, taste):
    similarity_model_build()

    html = client.get(reverse("web:movie", args=[taste["heat"].pk])).content.decode()

    similar = html[html.index('id="similar-heading"') :]
    assert f'href="{reverse("web:movie", args=[taste["ronin"].pk])}">Ronin</a>' in similar
    assert "The Notebook" not in similar


def test_without_a_model_the_movie_page_says_there_is_nothing_similar_yet(client, taste):
    html = client.get(reverse("web:movie", args=[taste["heat"].pk])).content.decode()

    assert "Not enough ratings yet to find similar movies." in html


def test_the_movie_page_with_similar_movies_costs_a_fixed_number_of_queries(client, taste, django_assert_num_queries):
    similarity_model_build()
    url = reverse("web:movie", args=[taste["heat"].pk])
    client.get(url)
    # movie, its genres, the distribution, the similar movies, their genres
    with django_assert_num_queries(5):
        assert client.get(url).status_code == 200


def test_recommendations_need_a_login_and_are_never_stored(client, member_client, db):
    assert client.get(reverse("web:recommendations"))["Location"].startswith(reverse("web:login"))
    assert "no-store" in member_client.get(reverse("web:recommendations"))["Cache-Control"]


def test_a_newcomer_gets_the_popular_list_minus_what_they_rated(member_client, member, taste):
    rate(member, taste["heat"], 5)

    html = member_client.get(reverse("web:recommendations")).content.decode()

    assert "Rate at least 5 movies" in html
    listed = html[html.index("<ol") :]
    assert "Ronin" in listed and "The Notebook" in listed
    assert ">Heat<" not in listed


def test_a_member_with_enough_ratings_gets_personal_picks_with_the_reasons(member_client, member, taste):
    others = [MovieFactory.create(title=f"Seen {n}") for n in range(4)]
    for movie in others:
        rate(member, movie, 3)
    rate(member, taste["heat"], 5)
    similarity_model_build()

    html = member_client.get(reverse("web:recommendations")).content.decode()

    assert "people who liked those liked these" in html
    listed = html[html.index("<ol") :]
    assert "Ronin" in listed
    assert f'Because you rated <a href="{reverse("web:movie", args=[taste["heat"].pk])}">Heat</a>' in listed
