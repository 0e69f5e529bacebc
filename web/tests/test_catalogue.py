from django.urls import reverse

from movies.tests.factories import GenreFactory, MovieFactory


def test_the_catalogue_lists_movies_with_their_statistics(client, movie):
    response = client.get(reverse("web:catalogue"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "The Godfather" in html
    assert "Average 3.50 / 5 from 2 ratings" in html
    assert reverse("web:movie", args=[movie.pk]) in html


def test_searching_finds_titles_in_any_letter_case(client, movie):
    MovieFactory.create(title="Heat")

    html = client.get(reverse("web:catalogue"), {"search": "GODFATHER"}).content.decode()

    assert "The Godfather" in html
    assert "Heat" not in html
    assert "1 movie" in html


def test_the_genre_filter_takes_the_slug_from_the_genre_menu(client, movie):
    comedy = GenreFactory.create(name="Comedy")
    MovieFactory.create(title="Airplane!", genres=[comedy])

    html = client.get(reverse("web:catalogue"), {"genre": "comedy"}).content.decode()

    assert "Airplane!" in html
    assert "The Godfather" not in html
    assert '<option value="comedy" selected>' in html


def test_sorting_uses_the_api_orderings(client, movie):
    MovieFactory.create(title="Aardvark", year=2020)

    by_title = client.get(reverse("web:catalogue")).content.decode()
    best_first = client.get(reverse("web:catalogue"), {"ordering": "-weighted_rating"}).content.decode()

    assert by_title.index("Aardvark") < by_title.index("The Godfather")
    assert best_first.index("The Godfather") < best_first.index("Aardvark")


def test_an_unknown_sort_is_a_400_page_naming_the_parameter(client, movie):
    response = client.get(reverse("web:catalogue"), {"ordering": "password"})

    assert response.status_code == 400
    assert "ordering" in response.content.decode()


def test_a_malformed_page_is_a_400_and_a_page_past_the_last_a_404(client, movie):
    assert client.get(reverse("web:catalogue"), {"page": "abc"}).status_code == 400
    assert client.get(reverse("web:catalogue"), {"page": "0"}).status_code == 400
    assert client.get(reverse("web:catalogue"), {"page": "2"}).status_code == 404


def test_pages_of_twenty_link_to_each_other_keeping_the_filters(client, drama):
    for n in range(25):
        MovieFactory.create(title=f"Film {n:02}", genres=[drama])

    first = client.get(reverse("web:catalogue"), {"genre": "drama"}).content.decode()
    second = client.get(reverse("web:catalogue"), {"genre": "drama", "page": "2"}).content.decode()

    assert first.count('class="movie-card"') == 20
    assert 'href="?genre=drama&amp;page=2"' in first
    assert second.count('class="movie-card"') == 5
    assert "Page 2 of 2" in second


def test_titles_are_escaped_not_rendered_as_html(client, db):
    MovieFactory.create(title='<script>alert("x")</script>')

    html = client.get(reverse("web:catalogue"), {"search": "<script>"}).content.decode()

    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_the_catalogue_costs_the_same_queries_whatever_its_size(client, drama, django_assert_num_queries):
    client.get(reverse("web:catalogue"))  # the catalogue-wide mean is cached from here on
    for count in (3, 40):
        MovieFactory.create_batch(count, genres=[drama])
        # genres menu, count, page of movies, their genres
        with django_assert_num_queries(4):
            assert client.get(reverse("web:catalogue")).status_code == 200


def test_public_pages_for_anonymous_visitors_are_not_stored_by_shared_caches(client, movie):
    response = client.get(reverse("web:catalogue"))

    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def test_pages_for_a_logged_in_member_say_no_store(member_client, movie):
    response = member_client.get(reverse("web:catalogue"))

    assert "no-store" in response["Cache-Control"]


def test_head_requests_are_answered_like_gets(client, movie):
    response = client.head(reverse("web:catalogue"))

    assert response.status_code == 200
    assert response.content == b""
