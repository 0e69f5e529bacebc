"""What a hostile client can make the shared cache hold (SPEC section 7): nothing for things
that do not exist, nothing that never expires, nothing that another request's key serves."""

import secrets
from decimal import Decimal

import pytest
from django.urls import reverse

from movies.tests.factories import GenreFactory, MovieFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis():
    from django.conf import settings

    if not settings.CACHES["default"]["BACKEND"].startswith("django_redis"):
        pytest.skip("needs Redis (REDIS_URL)")
    from django_redis import get_redis_connection

    connection = get_redis_connection("default")
    connection.flushdb()
    return connection


@pytest.mark.redis
@pytest.mark.parametrize(
    "path",
    [
        "/api/users/{name}/ratings/",
        "/api/users/{name}/",
        "/api/movies/987654321/",
        "/api/movies/987654321/ratings/",
    ],
)
def test_reads_of_users_or_movies_that_do_not_exist_write_no_key(api_client, redis, path):
    for _ in range(20):
        response = api_client.get(path.format(name=secrets.token_hex(75)))
        assert response.status_code == 404
    assert redis.dbsize() == 0


@pytest.mark.redis
def test_every_key_the_reads_write_expires(api_client, redis):
    movie = MovieFactory.create(ratings_count=1, ratings_sum=Decimal("4.0"))
    UserFactory.create(username="someone")
    for path in [
        reverse("movie-list"),
        reverse("movie-top"),
        reverse("genre-list"),
        reverse("movie-detail", args=[movie.pk]),
        reverse("movie-ratings", args=[movie.pk]),
        reverse("user-detail", args=["someone"]),
        reverse("user-ratings", args=["someone"]),
    ]:
        assert api_client.get(path).status_code == 200
    keys = redis.keys("*")
    assert len(keys) >= 8  # generations and entries
    assert all(redis.ttl(key) > 0 for key in keys)


@pytest.mark.redis
def test_an_invalidation_writes_expiring_generations(api_client, redis):
    from config.cache import MOVIE_LISTS, invalidate

    invalidate(MOVIE_LISTS, "movie:1")
    assert all(redis.ttl(key) > 0 for key in redis.keys("*"))


def test_a_user_that_exists_is_cached_from_the_first_read_on(api_client):
    UserFactory.create(username="someone")
    url = reverse("user-detail", args=["someone"])
    assert [api_client.get(url)["X-Cache"] for _ in range(2)] == ["MISS", "HIT"]


def test_an_encoded_ampersand_is_not_a_second_parameter(api_client):
    drama = GenreFactory.create(name="Drama")
    MovieFactory.create(title="God of War", genres=[drama])
    hostile = api_client.get("/api/movies/?genre=Drama%26search%3Dgod")
    assert hostile.json()["count"] == 0
    honest = api_client.get("/api/movies/?genre=Drama&search=god")
    assert honest.json()["count"] == 1
    assert honest["X-Cache"] == "MISS"


def test_repeated_parameters_in_another_order_are_another_entry(api_client):
    for title in ("Alpha", "Beta"):
        MovieFactory.create(title=title)
    api_client.get("/api/movies/?ordering=title&ordering=-title")
    second = api_client.get("/api/movies/?ordering=-title&ordering=title")
    assert second["X-Cache"] == "MISS"


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_HOST": "127.0.0.1:1337"},
        {"HTTP_X_FORWARDED_PROTO": "https"},
        {"HTTP_HOST": "localhost", "HTTP_X_FORWARDED_HOST": "evil.example"},
    ],
)
def test_host_and_scheme_headers_cannot_plant_links_in_a_shared_page(api_client, headers):
    MovieFactory.create_batch(3)
    poisoned = api_client.get("/api/movies/?page_size=1&page=2", **headers)
    assert poisoned.status_code == 200
    served = api_client.get("/api/movies/?page_size=1&page=2")
    assert served["X-Cache"] == "HIT"
    body = served.json()
    assert body["next"] == "/api/movies/?page_size=1&page=3"
    assert body["previous"] == "/api/movies/?page_size=1"


def test_links_are_absolute_from_the_configured_public_address(api_client, settings):
    settings.PUBLIC_BASE_URL = "https://movies.example.com"
    MovieFactory.create_batch(2)
    body = api_client.get("/api/movies/?page_size=1", HTTP_HOST="127.0.0.1:1337").json()
    assert body["next"] == "https://movies.example.com/api/movies/?page_size=1&page=2"


def test_links_carry_the_query_as_the_cache_key_sees_it(api_client):
    MovieFactory.create_batch(2, title="Same")
    body = api_client.get("/api/movies/?search=Same&page_size=1&search=&evil=%26page%3D9").json()
    assert body["next"] == "/api/movies/?evil=%26page%3D9&page_size=1&search=Same&page=2"
