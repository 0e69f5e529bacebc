"""Cache hits served ahead of DRF's dispatch (users.hits): for every cached public read, both API
versions, anonymous or with a JWT, the response is the one DRF's path gives, byte for byte and
header for header; it runs no SQL; and whatever the fast path does not fully handle (a bad or
revoked token, an unacceptable Accept, a miss, Redis down) is answered by DRF as before.

The comparison client runs the same middleware without `users.hits` (`drf_only`). The other
apps' rows are made through `apps.get_model`: users' tests import nothing from the apps above.
"""

import logging
from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

import pytest
from django.apps import apps
from django.conf import settings
from django.http import HttpResponse, QueryDict
from django.test import RequestFactory, override_settings
from django.urls import resolve, reverse
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from config import cache as response_cache
from users import authentication
from users.hits import NEGOTIATED_ACCEPT_LENGTH, NEGOTIATED_SIZE, CachedHitMiddleware, route_for
from users.models import User
from users.services import token_create
from users.tests.factories import UserFactory
from users.tests.helpers import assert_problem

pytestmark = pytest.mark.django_db

HITS_MIDDLEWARE = "users.hits.CachedHitMiddleware"
ACCEPT = {"1": "application/json", "2": "application/json; version=2"}


@pytest.fixture
def rows(db) -> dict[str, Any]:
    """A rated movie in a genre, its rater (alice) and a viewer (bob)."""
    genre = apps.get_model("movies", "Genre").objects.create(name="Drama", slug="drama")
    movie = apps.get_model("movies", "Movie").objects.create(title="Heat", year=1995, ratings_count=1)
    movie.ratings_sum = Decimal("4.5")
    movie.save()
    movie.genres.set([genre])
    alice = UserFactory.create(username="alice")
    apps.get_model("ratings", "Rating").objects.create(user=alice, movie=movie, score=Decimal("4.5"))
    return {"movie": movie, "alice": alice, "bob": UserFactory.create(username="bob")}


def urls(movie_id: int) -> dict[str, str]:
    """Every cached public read, by name (each with a query where the view takes one)."""
    return {
        "movie detail": reverse("movie-detail", kwargs={"pk": movie_id}),
        "movie list": reverse("movie-list"),
        "movie list, searched": reverse("movie-list") + "?search=heat&page=1",
        "top": reverse("movie-top") + "?limit=5",
        "genres": reverse("genre-list"),
        "a movie's ratings": reverse("movie-ratings", kwargs={"movie_id": movie_id}),
        "similar movies": reverse("movie-similar", kwargs={"movie_id": movie_id}),
        "public profile": reverse("user-detail", kwargs={"username": "alice"}),
        "public rated list": reverse("user-ratings", kwargs={"username": "alice"}),
    }


ENDPOINTS = list(urls(1))


def drf_only(client: APIClient) -> APIClient:
    """The client's requests run every middleware but `users.hits`: DRF's path for everything."""
    without = [name for name in settings.MIDDLEWARE if name != HITS_MIDDLEWARE]
    with override_settings(MIDDLEWARE=without):
        client.handler.load_middleware()  # kept: the handler builds its chain only once
    return client


def client(token: str | None, version: str) -> APIClient:
    api_client = APIClient(HTTP_ACCEPT=ACCEPT[version])
    if token is not None:
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api_client


@pytest.fixture
def served_ahead(monkeypatch) -> list[bool]:
    """Whether each request was answered by users.hits (True) or left to DRF (False)."""
    answered: list[bool] = []
    hit = CachedHitMiddleware.hit

    def spy(self, request):
        response = hit(self, request)
        answered.append(response is not None)
        return response

    monkeypatch.setattr(CachedHitMiddleware, "hit", spy)
    return answered


def headers(response) -> dict[str, str]:
    return {name: value for name, value in response.items() if name != "X-Request-ID"}


def warm(api_client: APIClient, url: str) -> None:
    """Fill the response and the token's cached state (the first request misses both)."""
    for _ in range(2):
        assert api_client.get(url).status_code == 200


# --- The same response as DRF's path, with no SQL ------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize("who", ["anonymous", "jwt"])
def test_a_hit_served_ahead_of_drf_is_drfs_response_and_runs_no_sql(
    rows, endpoint, version, who, served_ahead, django_assert_num_queries
):
    url = urls(rows["movie"].pk)[endpoint]
    token = str(AccessToken.for_user(rows["bob"])) if who == "jwt" else None
    fast = client(token, version)
    warm(fast, url)
    served_ahead.clear()
    with django_assert_num_queries(0):
        ahead = fast.get(url)
    assert served_ahead == [True]
    reference = drf_only(client(token, version)).get(url)
    assert served_ahead == [True]  # the reference never went through users.hits
    assert ahead.status_code == reference.status_code == 200
    assert ahead["X-Cache"] == reference["X-Cache"] == "HIT"
    assert ahead.content == reference.content
    assert headers(ahead) == headers(reference)
    assert list(headers(ahead)) == list(headers(reference))  # in the same order too


@pytest.mark.parametrize("who", ["anonymous", "jwt"])
def test_head_is_served_ahead_as_drf_serves_it(rows, who, served_ahead):
    url = urls(rows["movie"].pk)["movie detail"]
    token = str(AccessToken.for_user(rows["bob"])) if who == "jwt" else None
    warm(client(token, "1"), url)
    served_ahead.clear()
    ahead = client(token, "1").head(url)
    reference = drf_only(client(token, "1")).head(url)
    assert served_ahead == [True]
    assert ahead.status_code == reference.status_code == 200
    assert ahead.content == reference.content
    assert headers(ahead) == headers(reference)


def test_if_none_match_is_a_304_on_a_hit_served_ahead(rows, served_ahead):
    url = urls(rows["movie"].pk)["movie detail"]
    fast = client(str(AccessToken.for_user(rows["bob"])), "2")
    warm(fast, url)
    etag = fast.get(url)["ETag"]
    served_ahead.clear()
    ahead = fast.get(url, HTTP_IF_NONE_MATCH=etag)
    reference = drf_only(client(str(AccessToken.for_user(rows["bob"])), "2")).get(url, HTTP_IF_NONE_MATCH=etag)
    assert served_ahead == [True]
    assert ahead.status_code == reference.status_code == 304
    assert ahead.content == reference.content == b""
    assert headers(ahead) == headers(reference)


# --- What the fast path leaves to DRF -----------------------------------------------------------


def expired_token(user: User) -> str:
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    return str(token)


def forged_token(user: User) -> str:
    header, payload, signature = str(AccessToken.for_user(user)).split(".")
    return f"{header}.{payload}.{signature[:-4]}AAAA"


@pytest.mark.parametrize(
    "make_token, code",
    [
        (forged_token, "token_not_valid"),
        (expired_token, "token_not_valid"),
        (lambda user: str(RefreshToken.for_user(user)), "token_not_valid"),  # the wrong type
    ],
    ids=["forged", "expired", "refresh token"],
)
def test_a_bad_token_is_drfs_401_even_with_the_response_cached(rows, make_token, code, served_ahead):
    url = urls(rows["movie"].pk)["movie detail"]
    warm(client(str(AccessToken.for_user(rows["bob"])), "1"), url)
    token = make_token(rows["bob"])
    served_ahead.clear()
    body = assert_problem(client(token, "1").get(url), 401)
    assert served_ahead == [False]
    assert body["code"] == code
    reference = drf_only(client(token, "1")).get(url)
    assert body | {"request_id": None} == reference.json() | {"request_id": None}


def deactivate(user: User) -> None:
    user.is_active = False
    user.save()


def change_password(user: User) -> None:
    user.set_password("a-brand-new-passphrase-42")
    user.save()


@pytest.mark.parametrize(
    "change, status",
    [(deactivate, 401), (change_password, 401), (User.delete, 401)],
    ids=["deactivated", "password changed", "deleted"],
)
def test_a_revoked_session_is_a_401_on_the_next_request_with_the_response_cached(
    rows, change, status, committing, served_ahead
):
    url = urls(rows["movie"].pk)["movie detail"]
    fast = client(str(AccessToken.for_user(rows["bob"])), "1")
    warm(fast, url)
    served_ahead.clear()
    assert fast.get(url)["X-Cache"] == "HIT"
    assert served_ahead == [True]
    with committing():
        change(User.objects.get(pk=rows["bob"].pk))
    assert_problem(fast.get(url), status)
    assert served_ahead[-1] is False


@pytest.mark.parametrize(
    "accept, status",
    [("application/json; version=9", 406), ("text/csv", 406), ("application/problem+json; version=2", 200)],
)
def test_an_accept_header_is_negotiated_as_drf_negotiates_it(rows, accept, status, served_ahead):
    url = urls(rows["movie"].pk)["movie detail"]
    token = str(AccessToken.for_user(rows["bob"]))
    warm(client(token, "2"), url)
    served_ahead.clear()
    for _ in range(2):  # the second from the negotiation memo
        ahead = client(token, "1").get(url, HTTP_ACCEPT=accept)
        reference = drf_only(client(token, "1")).get(url, HTTP_ACCEPT=accept)
        assert ahead.status_code == reference.status_code == status
        assert ahead.content.replace(ahead["X-Request-ID"].encode(), b"") == reference.content.replace(
            reference["X-Request-ID"].encode(), b""
        )
        # A problem body names its request id, so its ETag (ConditionalGetMiddleware's) differs too.
        assert headers(ahead) | {"ETag": ""} == headers(reference) | {"ETag": ""}
    assert served_ahead == [status == 200] * 2


def test_the_negotiation_memo_is_bounded(rows):
    url = urls(rows["movie"].pk)["movie detail"]
    warm(client(None, "1"), url)
    middleware = CachedHitMiddleware(lambda request: HttpResponse(status=599))
    for index in range(NEGOTIATED_SIZE + 10):
        request = RequestFactory().get(url, HTTP_ACCEPT=f"application/json; q=0.{index:04d}")
        assert middleware(request).status_code == 200  # each a hit
    assert 0 < len(middleware.negotiated) <= NEGOTIATED_SIZE


def test_a_long_accept_header_is_negotiated_but_not_remembered(rows):
    url = urls(rows["movie"].pk)["movie detail"]
    warm(client(None, "1"), url)
    middleware = CachedHitMiddleware(lambda request: HttpResponse(status=599))
    accept = "application/json, " + ", ".join(f"text/x-{index}" for index in range(NEGOTIATED_ACCEPT_LENGTH))
    assert middleware(RequestFactory().get(url, HTTP_ACCEPT=accept)).status_code == 200  # still a hit
    assert middleware.negotiated == {}


def test_a_personal_access_token_is_left_to_drf_which_serves_the_hit(rows, served_ahead, django_assert_num_queries):
    _, secret = token_create(owner=rows["bob"], name="script", scopes=["read"], expires_in_days=30)
    url = urls(rows["movie"].pk)["movie detail"]
    api_client = client(secret, "1")
    for _ in range(3):
        assert api_client.get(url).status_code == 200
    served_ahead.clear()
    with django_assert_num_queries(0):
        assert api_client.get(url)["X-Cache"] == "HIT"
    assert served_ahead == [False]


def test_routes_that_are_not_cached_reads_are_left_to_drf(rows, served_ahead):
    bob = client(str(AccessToken.for_user(rows["bob"])), "1")
    for _ in range(2):
        assert bob.get(reverse("user-me")).status_code == 200
        assert bob.get(reverse("my-ratings")).status_code == 200
    assert served_ahead == [False] * 4


def test_a_handler_wrapped_again_by_another_decorator_is_not_recognised():
    @response_cache.cache_response(tags=lambda request, kwargs: [response_cache.GENRES])
    def handler(view, request):  # pragma: no cover - never called
        raise AssertionError

    assert response_cache.cached_handler_tags(handler) is not None
    assert response_cache.cached_handler_tags(lambda view, request: handler(view, request)) is None
    assert response_cache.cached_handler_tags([]) is None  # unhashable


class _Refusing:
    def has_permission(self, request: Any, view: Any) -> bool:
        return False


class _Allowing:
    def allow_request(self, request: Any, view: Any) -> bool:
        return True


@pytest.mark.parametrize(
    "name, replacement, status",
    [("get_throttles", lambda self: [_Allowing()], 200), ("get_permissions", lambda self: [_Refusing()], 403)],
    ids=["with a throttle", "refused by a permission"],
)
def test_a_view_that_throttles_or_refuses_is_left_to_drf(rows, served_ahead, monkeypatch, name, replacement, status):
    url = urls(rows["movie"].pk)["public profile"]
    api_client = client(str(AccessToken.for_user(rows["bob"])), "1")
    warm(api_client, url)
    route = route_for(resolve(url).func, "get")
    assert route is not None
    monkeypatch.setattr(route.view_class, name, replacement)
    served_ahead.clear()
    assert api_client.get(url).status_code == status
    assert served_ahead == [False]


def test_a_miss_reads_the_tokens_user_once(rows, served_ahead, monkeypatch):
    """The fast path checked the JWT and found its user: DRF's path reuses them on a miss."""
    url = urls(rows["movie"].pk)["movie detail"]
    api_client = client(str(AccessToken.for_user(rows["bob"])), "1")
    warm(api_client, url)
    response_cache.invalidate(response_cache.movie_tag(rows["movie"].pk))
    reads: list[int] = []
    user_by_id = authentication.authstate.user_by_id

    def counted(user_id: int) -> User | None:
        reads.append(user_id)
        return user_by_id(user_id)

    monkeypatch.setattr(authentication.authstate, "user_by_id", counted)
    response = api_client.get(url)
    assert response["X-Cache"] == "MISS"
    assert reads == []


@pytest.mark.redis
@pytest.mark.parametrize("who", ["anonymous", "jwt"])
def test_a_miss_asks_the_cache_once_before_the_view_runs(rows, who, monkeypatch):
    """The view's lookup starts from what the fast path read (one round trip for the response and
    the token's state together), as it would have read it itself before its queries."""
    url = urls(rows["movie"].pk)["movie detail"]
    api_client = client(str(AccessToken.for_user(rows["bob"])) if who == "jwt" else None, "1")
    warm(api_client, url)
    response_cache.invalidate(response_cache.movie_tag(rows["movie"].pk))
    store_class = type(response_cache.store())
    calls: list[Any] = []
    lookup = store_class.lookup

    def counted(self: Any, *args: Any) -> Any:
        calls.append(args)
        return lookup(self, *args)

    monkeypatch.setattr(store_class, "lookup", counted)
    first = api_client.get(url)
    assert first["X-Cache"] == "MISS"
    assert calls == []
    assert api_client.get(url)["X-Cache"] == "HIT"  # stored under the generations read first


# --- Redis down, and the local-memory fallback ----------------------------------------------------


@pytest.mark.redis
def test_with_redis_down_a_read_is_served_from_the_database(rows, served_ahead, monkeypatch, caplog):
    url = urls(rows["movie"].pk)["movie detail"]
    api_client = client(str(AccessToken.for_user(rows["bob"])), "1")
    warm(api_client, url)
    store_class = type(response_cache.store())

    def unreachable(*args, **kwargs):
        raise RedisConnectionError("unreachable")

    for name in ("lookup", "lookup_pair", "get", "set", "set_generations", "add_generations"):
        monkeypatch.setattr(store_class, name, unreachable)
    lookups: list[str] = []  # the view's response lookups (the token's state has one of its own)
    request_base = response_cache._request_base

    def counted(*args: Any) -> str:
        lookups.append("view")
        return request_base(*args)

    monkeypatch.setattr(response_cache, "_request_base", counted)
    served_ahead.clear()
    response = api_client.get(url)
    assert response.status_code == 200
    assert response["X-Cache"] == "MISS"
    assert response.json()["title"] == "Heat"
    assert served_ahead == [False]
    assert lookups == []  # the view did not ask the unreachable cache a second time


@pytest.mark.redis
def test_one_round_trip_finds_the_response_and_the_auth_state_as_two_lookups_do(rows):
    api_client = client(str(AccessToken.for_user(rows["bob"])), "1")
    url = urls(rows["movie"].pk)["movie detail"]
    warm(api_client, url)
    store = response_cache.store()
    assert isinstance(store, response_cache.RedisStore)
    keys = [f"gen:{tag}" for tag in ("all", f"movie:{rows['movie'].pk}", f"auth:{rows['bob'].pk}")]
    assert all(store.get(key) for key in keys)
    for first, second in ([keys[:2], keys[::2]], [keys[:2], []], [keys[:1], ["gen:missing"]], [["gen:missing"], keys]):
        found = store.lookup_pair(first, "a", second, "b")
        assert found == (*store.lookup(first, "a"), *(store.lookup(second, "b") if second else ([], None)))
    # With the real bases: the response and the user's state, as the view and authstate find them.
    tags = [response_cache.ALL, response_cache.movie_tag(rows["movie"].pk)]
    base = response_cache.request_base(url, QueryDict(""), "1", tags)
    user_tags, name = [response_cache.auth_tag(rows["bob"].pk)], f"user:{rows['bob'].pk}"
    entry, state, _ = response_cache.lookup_hit(tags, base, user_tags, name)
    assert entry is not None and state is not None
    assert entry == response_cache._lookup(tags, base)[1]
    assert state == response_cache.lookup_value(user_tags, name)[0]


def test_the_local_memory_fallback_serves_hits_ahead_too(
    local_memory_cache, rows, served_ahead, django_assert_num_queries
):
    url = urls(rows["movie"].pk)["movie detail"]
    token = str(AccessToken.for_user(rows["bob"]))
    warm(client(token, "2"), url)
    served_ahead.clear()
    with django_assert_num_queries(0):
        ahead = client(token, "2").get(url)
    reference = drf_only(client(token, "2")).get(url)
    assert served_ahead == [True]
    assert ahead.content == reference.content
    assert headers(ahead) == headers(reference)


# --- The log line and the metrics ----------------------------------------------------------------

LOGGED = ("method", "path", "status", "user_id", "cache")


def test_a_hit_served_ahead_logs_and_counts_as_drfs_hit(rows, served_ahead, caplog, settings):
    from config.tests.test_metrics import TOKEN, requests_to, scrape

    settings.METRICS_TOKEN = TOKEN
    url = urls(rows["movie"].pk)["movie detail"]
    token = str(AccessToken.for_user(rows["bob"]))
    warm(client(token, "1"), url)
    before = scrape(APIClient())
    served_ahead.clear()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="config.request"):
        client(token, "1").get(url)
        drf_only(client(token, "1")).get(url)
    assert served_ahead == [True]
    lines = [record for record in caplog.records if record.name == "config.request"]
    assert len(lines) == 2
    ahead, reference = ({name: getattr(record, name) for name in LOGGED} for record in lines)
    assert ahead == reference
    assert ahead["user_id"] == rows["bob"].pk and ahead["cache"] == "HIT"
    after = scrape(APIClient())
    assert requests_to(after, "api/movies/<pk>/") - requests_to(before, "api/movies/<pk>/") == 2


# --- The memo of verified JWTs ---------------------------------------------------------------------


def test_the_memo_of_verified_tokens_is_bounded_least_recently_used_first(rows):
    memo = authentication.VerifiedTokens(size=2)
    tokens = [AccessToken.for_user(rows["bob"]) for _ in range(3)]
    raws = [str(token).encode() for token in tokens]
    memo.remember(raws[0], tokens[0])
    memo.remember(raws[1], tokens[1])
    assert memo.get(raws[0]) is not None  # now the most recently used
    memo.remember(raws[2], tokens[2])
    assert len(memo) == 2
    assert memo.get(raws[1]) is None
    assert memo.get(raws[0]).get("jti") == tokens[0]["jti"]  # type: ignore[union-attr]


def test_a_remembered_token_is_checked_for_expiry_on_every_use(rows, monkeypatch, served_ahead):
    """A token verified (and remembered) while valid is a 401 once it expired: PyJWT would not be
    asked again, but its `exp` is checked on every use."""
    url = urls(rows["movie"].pk)["movie detail"]
    token = str(AccessToken.for_user(rows["bob"]))
    api_client = client(token, "1")
    warm(api_client, url)
    assert authentication.verified_tokens.get(token.encode()) is not None
    lifetime = cast(timedelta, settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"])
    later = authentication.aware_utcnow() + lifetime + timedelta(seconds=5)
    monkeypatch.setattr(authentication, "aware_utcnow", lambda: later)
    monkeypatch.setattr("rest_framework_simplejwt.tokens.aware_utcnow", lambda: later)
    monkeypatch.setattr("jwt.api_jwt.datetime", _frozen_datetime(later))
    served_ahead.clear()
    body = assert_problem(api_client.get(url), 401)
    assert body["code"] == "token_not_valid"
    assert served_ahead == [False]
    assert authentication.verified_tokens.get(token.encode()) is None  # forgotten


def _frozen_datetime(moment: Any) -> Any:
    import datetime as real

    class Frozen(real.datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return moment

    return Frozen


def test_a_remembered_token_is_a_copy_no_request_can_change(rows):
    memo = authentication.VerifiedTokens(size=4)
    token = AccessToken.for_user(rows["bob"])
    raw = str(token).encode()
    memo.remember(raw, token)
    token["user_id"] = 0
    handed = memo.get(raw)
    assert handed is not None
    handed["user_id"] = -1
    again = memo.get(raw)
    assert again is not None and again["user_id"] == str(rows["bob"].pk)


def test_a_new_signing_key_forgets_every_verified_token(rows, settings):
    token = str(AccessToken.for_user(rows["bob"]))
    authentication.verified_tokens.remember(token.encode(), AccessToken(token.encode()))  # type: ignore[arg-type]
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": "another-key-" + "x" * 40}
    assert authentication.verified_tokens.get(token.encode()) is None


def test_the_path_memo_is_bounded_and_skips_long_paths(monkeypatch):
    from users import hits

    monkeypatch.setattr(hits, "RESOLVED_SIZE", 3)
    middleware = CachedHitMiddleware(lambda request: HttpResponse(status=599))
    for name in ("ann", "ben", "cat", "dan"):
        assert middleware.resolve(f"/api/users/{name}/") is not None
    assert 0 < len(middleware.resolved) <= 3
    long_path = "/api/users/" + "x" * hits.RESOLVED_PATH_LENGTH + "/"
    assert middleware.resolve(long_path).url_name == "user-detail"  # type: ignore[union-attr]
    assert long_path not in middleware.resolved
    assert middleware.resolve("/api/nothing-here/") is None
    assert "/api/nothing-here/" not in middleware.resolved
