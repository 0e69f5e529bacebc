"""The website (SPEC section 15): server-rendered pages for people, at `/`.

Every page reads through the selectors and filter sets the API uses, and every write goes
through the same services and serializers, so a rating saved here changes statistics and
invalidates caches exactly like `PUT /api/movies/{id}/rating/`. The throttles are the API's
throttle classes, called on the same counters (an address's web logins and API logins share
one budget).

Pages are not stored in the response cache: each one shows who is logged in and carries a
CSRF token. Pages showing private data say `Cache-Control: no-store`; see docs/web.md.
"""

import math
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, DataAndFiles, FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from config.api.throttling import (
    AccountIpRateThrottle,
    AccountRateThrottle,
    LoginRateThrottle,
    RegisterRateThrottle,
    ResetEmailRateThrottle,
    WriteRateThrottle,
)
from config.domain import SCORE_TEXTS, SCORES
from movies import selectors
from movies.filters import MovieFilterSet
from movies.models import Movie, round_half_up
from ratings.filters import RatingFilter
from ratings.models import REVIEW_MAX_LENGTH, Rating
from ratings.serializers import RatingWriteSerializer
from ratings.services import rating_delete, rating_upsert, ratings_import
from ratings.transfer import EXPORT_FORMATS, ImportFileError, export_stream
from recommendations.selectors import MIN_RATINGS_FOR_PERSONAL, recommendations_for, similar_movies
from recommendations.views import RECOMMENDATIONS_DEFAULT_LIMIT, SIMILAR_DEFAULT_LIMIT
from users.models import User, user_named
from users.selectors import password_reset_user
from users.serializers import (
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetRequestSerializer,
    RegistrationSerializer,
)
from users.services import password_reset_confirm, user_password_change
from users.tasks import password_reset_email_later

PAGE_SIZE = 20

# The catalogue's sort options: (value of `ordering`, label). The values are the API's.
MOVIE_ORDERINGS = (
    ("title", "Title, A to Z"),
    ("-weighted_rating", "Best rated"),
    ("-ratings_count", "Most rated"),
    ("-average_rating", "Highest average"),
    ("-year", "Newest first"),
    ("year", "Oldest first"),
)
RATING_ORDERINGS = (
    ("-updated_at", "Latest activity"),
    ("-rated_at", "Most recently rated"),
    ("-score", "Highest score"),
    ("score", "Lowest score"),
    ("movie__title", "Title, A to Z"),
)
# Score choices for the rating control and the filters: (value, words for a screen reader).
SCORE_CHOICES = tuple(
    (text, f"{score.normalize():f} star{'' if score == 1 else 's'}")
    for score, text in zip(SCORES, SCORE_TEXTS, strict=True)
)

FETCH_HEADER = "fetch"  # site.js sends `X-Requested-With: fetch` and swaps in the returned fragment


class BadParameter(Exception):
    """A query parameter the page cannot use: the page answers 400 and names it."""


def _is_fetch(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == FETCH_HEADER


def _page(request: HttpRequest, items: QuerySet[Any]) -> Page:
    """The requested page of `items` (20 a page); a malformed page is a 400, one past the last a 404."""
    raw = request.GET.get("page", "").strip() or "1"
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise BadParameter("page: use a whole number of at least 1.")
    paginator = Paginator(items, PAGE_SIZE)
    number = int(raw)
    if number > paginator.num_pages:
        raise Http404("There is no such page.")
    return paginator.page(number)


def _filter_errors(errors: dict[str, Any]) -> list[str]:
    return [f"{field}: {' '.join(str(message) for message in messages_)}" for field, messages_ in errors.items()]


def _page_response(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200, private: bool = False
) -> HttpResponse:
    """Render a page. Pages with private data (or rendered for a logged-in person) are never stored."""
    response = render(request, template, context, status=status)
    if private or request.user.is_authenticated:
        add_never_cache_headers(response)
    else:
        patch_cache_control(response, private=True, no_cache=True)
    return response


def _bad_request(request: HttpRequest, problems: list[str]) -> HttpResponse:
    return _page_response(request, "web/bad_request.html", {"problems": problems}, status=400)


class _AnyBodyParser(BaseParser):
    """After DRF's form parsers: any other body (JSON, text) gives what Django made of it (an
    empty form), so no body sent to a page can make DRF refuse it with an exception."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> DataAndFiles:
        page_request = parser_context["request"]._request
        return DataAndFiles(page_request.POST, page_request.FILES)


def _api_request(request: HttpRequest) -> Request:
    """The page's request as DRF sees one (form data in `.data`, the session's user in `.user`),
    so the API's throttle classes run on it exactly as they run in the API."""
    api_request = Request(request, parsers=[FormParser(), MultiPartParser(), _AnyBodyParser()])
    api_request.user = request.user
    return api_request


def _throttled(request: HttpRequest, throttle: BaseThrottle) -> HttpResponse | None:
    """Count this request against `throttle` (the API's throttle class and counters); a 429 page
    with `Retry-After` once the limit is reached, else None."""
    try:
        if throttle.allow_request(_api_request(request), cast(Any, None)):
            return None
    except ParseError:  # a malformed multipart body, say
        return _bad_request(request, ["The form could not be read. Reload the page and send it again."])
    retry_after = max(1, math.ceil(throttle.wait() or 1))
    if _is_fetch(request):
        message = f"Too many changes in a short time. Try again in {retry_after} seconds."
        response = render(request, "web/_rating_status.html", {"status_message": message, "is_error": True}, status=429)
    else:
        response = _page_response(request, "web/throttled.html", {"retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def _safe_next(request: HttpRequest, candidate: str) -> str:
    """`next` when it is a local URL of this site, else the catalogue (no open redirect).

    The account pages themselves are not worth returning to after logging in.
    """
    account_pages = {
        reverse(f"web:{name}") for name in ("login", "signup", "logout", "password-forgot", "password-reset")
    }
    if (
        candidate
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and urlsplit(candidate).path not in account_pages
    ):
        return candidate
    return reverse("web:catalogue")


def handles_bad_parameters(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Turn a `BadParameter` raised by a page into its 400 page."""

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except BadParameter as exc:
            return _bad_request(request, [str(exc)])

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


# --- The catalogue and a movie --------------------------------------------------------------


@require_safe
@handles_bad_parameters
def catalogue(request: HttpRequest) -> HttpResponse:
    """Movies: search by title, filter by genre, sort, 20 a page (the API list's filter set)."""
    movies = selectors.movie_list_queryset(global_mean=selectors.global_mean_rating())
    filters = MovieFilterSet(data=request.GET, queryset=movies)
    if not filters.is_valid():
        return _bad_request(request, _filter_errors(filters.errors))
    page = _page(request, filters.qs)
    context = {
        "page": page,
        "genres": selectors.genre_list_queryset(),
        "orderings": MOVIE_ORDERINGS,
        "search": request.GET.get("search", ""),
        "genre": request.GET.get("genre", ""),
        "ordering": request.GET.get("ordering", "") or "title",
    }
    return _page_response(request, "web/catalogue.html", context)


def _movie_statistics(movie: Movie) -> dict[str, Any]:
    """What the statistics panel shows: the API detail's numbers and its score distribution."""
    weighted = selectors.weighted_rating(
        ratings_count=movie.ratings_count, ratings_sum=movie.ratings_sum, global_mean=selectors.global_mean_rating()
    )
    distribution = selectors.score_distribution(movie)
    largest = max(distribution.values()) or 1
    bars = [
        {"score": score, "count": count, "percent": round(100 * count / largest, 1)}
        for score, count in distribution.items()
    ]
    return {
        "average": movie.average_rating,
        "count": movie.ratings_count,
        "weighted": None if weighted is None else round_half_up(weighted),
        "bars": bars,
    }


def _movie_context(request: HttpRequest, movie: Movie, **extra: Any) -> dict[str, Any]:
    own_rating = None
    if request.user.is_authenticated:
        own_rating = Rating.objects.filter(user=request.user, movie=movie).first()
    context: dict[str, Any] = {
        "movie": movie,
        "stats": _movie_statistics(movie),
        "similar": similar_movies(movie_id=movie.pk, limit=SIMILAR_DEFAULT_LIMIT),
        "own_rating": own_rating,
        "score_choices": SCORE_CHOICES,
        "chosen_score": f"{own_rating.score:.1f}" if own_rating else "",
        "review": own_rating.review if own_rating else "",
        "review_max_length": REVIEW_MAX_LENGTH,
    }
    context.update(extra)
    return context


@require_safe
def movie_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One movie: details, statistics, the score distribution, and the visitor's own rating."""
    movie = get_object_or_404(Movie.objects.prefetch_related("genres"), pk=pk)
    return _page_response(request, "web/movie.html", _movie_context(request, movie))


def _rating_saved(request: HttpRequest, movie: Movie, message: str) -> HttpResponse:
    """After a rating write: the updated fragments for site.js, or a redirect back to the page."""
    if _is_fetch(request):
        movie = Movie.objects.get(pk=movie.pk)  # the statistics after this write
        context = _movie_context(request, movie, status_message=message)
        response = HttpResponse(render_to_string("web/_rating_result.html", context, request=request))
        add_never_cache_headers(response)
        return response
    messages.success(request, message)
    return redirect(reverse("web:movie", args=[movie.pk]) + "#your-rating")


@require_POST
def movie_rate(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the visitor's rating: `rating_upsert`, validated by the API's own rating serializer."""
    movie = get_object_or_404(Movie, pk=pk)
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("web:movie", args=[movie.pk]))
    if throttled := _throttled(request, WriteRateThrottle()):
        return throttled
    data = {"review": request.POST.get("review", "").replace("\r\n", "\n")}
    if request.POST.get("score"):
        data["score"] = request.POST["score"]
    write = RatingWriteSerializer(data=data)
    if not write.is_valid():
        errors = {field: " ".join(str(m) for m in problems) for field, problems in write.errors.items()}
        if "score" in errors and "score" not in data:
            errors["score"] = "Choose a score: from half a star to five stars."
        message = " ".join(errors.values())
        if _is_fetch(request):
            context = {"status_message": message, "is_error": True}
            return render(request, "web/_rating_status.html", context, status=400)
        movie = Movie.objects.prefetch_related("genres").get(pk=movie.pk)
        context = _movie_context(
            request,
            movie,
            rating_errors=errors,
            chosen_score=data.get("score", ""),
            review=data["review"],
        )
        return _page_response(request, "web/movie.html", context, status=400)
    _, created = rating_upsert(user=cast(User, request.user), movie=movie, **write.validated_data)
    score = write.validated_data["score"]
    verb = "Saved" if created else "Updated"
    return _rating_saved(request, movie, f"{verb} your rating: {score.normalize():f} out of 5.")


@require_POST
def movie_rating_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove the visitor's rating of the movie (`rating_delete`)."""
    movie = get_object_or_404(Movie, pk=pk)
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("web:movie", args=[movie.pk]))
    if throttled := _throttled(request, WriteRateThrottle()):
        return throttled
    rating = get_object_or_404(Rating.objects.select_related("user"), user=request.user, movie=movie)
    rating_delete(rating=rating)
    return _rating_saved(request, movie, "Removed your rating.")


# --- Accounts -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Create an account with the API's sign-up rules (`RegistrationSerializer`), then log in."""
    errors: dict[str, str] = {}
    values = {"username": "", "email": ""}
    if request.method == "POST":
        if throttled := _throttled(request, RegisterRateThrottle()):
            return throttled
        values = {"username": request.POST.get("username", ""), "email": request.POST.get("email", "")}
        password = request.POST.get("password", "")
        registration = RegistrationSerializer(data={**values, "password": password})
        valid = registration.is_valid()
        if not valid:
            errors = {field: " ".join(str(m) for m in problems) for field, problems in registration.errors.items()}
        if password != request.POST.get("password_again", ""):
            errors["password_again"] = "The two passwords differ. Type the same password twice."
        if not errors:
            user = registration.save()
            login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
            messages.success(request, f"Welcome, {user.username}! Your account is ready.")
            return redirect(_safe_next(request, request.POST.get("next", "")))
    context = {"errors": errors, "values": values, "next": request.POST.get("next") or request.GET.get("next", "")}
    return _page_response(request, "web/signup.html", context, status=400 if errors else 200, private=True)


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Session login with Django's authentication form (the configured backends), under the API's
    login throttle (SPEC 8): per client IP and per username, the same counters as the API and the
    admin, the username's attempt given back when the password was right."""
    next_url = request.POST.get("next") or request.GET.get("next", "")
    form = AuthenticationForm(request)
    if request.method == "POST":
        throttle = LoginRateThrottle()
        if throttled := _throttled(request, throttle):
            return throttled
        form = AuthenticationForm(request, data=request.POST)
        if form.is_valid():
            # As in the API's login view: only failed attempts count against the username.
            throttle.refund_username()
            login(request, form.get_user())
            return redirect(_safe_next(request, next_url))
    context = {"form": form, "next": next_url}
    status = 400 if form.is_bound else 200
    return _page_response(request, "web/login.html", context, status=status, private=True)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponseRedirect:
    """End the session (POST only, with its CSRF token, so no link or image can log anyone out)."""
    logout(request)
    messages.info(request, "You are logged out.")
    return redirect("web:catalogue")


# --- Passwords: users.services, with the API's serializers and throttles ----------------------


def _errors_of(serializer: Any) -> dict[str, str]:
    return {field: " ".join(str(m) for m in problems) for field, problems in serializer.errors.items()}


def _check_new_password_typed_twice(request: HttpRequest, errors: dict[str, str]) -> None:
    """The web form asks for the new password twice; the API takes it once."""
    if request.POST.get("new_password", "") != request.POST.get("new_password_again", ""):
        errors["new_password_again"] = "The two passwords differ. Type the same password twice."


@require_http_methods(["GET", "POST"])
@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    """Change my password (`users.services.user_password_change`): every other session and
    personal access token of mine ends; this browser stays logged in."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        for throttle in (AccountRateThrottle(), AccountIpRateThrottle()):
            if throttled := _throttled(request, throttle):
                return throttled
        data = {field: request.POST.get(field, "") for field in ("current_password", "new_password")}
        change = PasswordChangeSerializer(data=data, context={"request": request})
        if not change.is_valid():
            errors = _errors_of(change)
        _check_new_password_typed_twice(request, errors)
        if not errors:
            user = cast(User, request.user)
            user_password_change(user=user, new_password=change.validated_data["new_password"])
            update_session_auth_hash(request, user)  # keep this browser's session
            messages.success(request, "Your password is changed. Everywhere else, you are logged out.")
            return redirect("web:my-ratings")
    context = {"errors": errors}
    return _page_response(request, "web/password_change.html", context, status=400 if errors else 200, private=True)


@require_http_methods(["GET", "POST"])
def password_forgot(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link by email. The answer is the same whether or not the address is known
    (the email is sent off the request path, as the API's `POST /api/auth/password-reset/` does)."""
    context: dict[str, Any] = {"errors": {}, "email": "", "sent": False, "hours": settings.PASSWORD_RESET_HOURS}
    if request.method == "POST":
        for throttle in (AccountIpRateThrottle(), ResetEmailRateThrottle()):
            if throttled := _throttled(request, throttle):
                return throttled
        ask = PasswordResetRequestSerializer(data={"email": request.POST.get("email", "")})
        if ask.is_valid():
            password_reset_email_later(email=ask.validated_data["email"])
            context["sent"] = True
        else:
            context.update(errors=_errors_of(ask), email=request.POST.get("email", ""))
    status = 400 if context["errors"] else 200
    return _page_response(request, "web/password_forgot.html", context, status=status, private=True)


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """The emailed link's page (`/account/reset/?uid=..&token=..`, `users.services.PASSWORD_RESET_PAGE`):
    set a new password (`password_reset_confirm`), then log in with it."""
    source = request.POST if request.method == "POST" else request.GET
    uid, token = source.get("uid", ""), source.get("token", "")
    errors: dict[str, str] = {}
    link_valid = password_reset_user(uid=uid, token=token) is not None
    if request.method == "POST" and link_valid:
        if throttled := _throttled(request, AccountIpRateThrottle()):
            return throttled
        data = {"uid": uid, "token": token, "new_password": request.POST.get("new_password", "")}
        confirm = PasswordResetConfirmSerializer(data=data)
        if not confirm.is_valid():
            errors = _errors_of(confirm)
            link_valid = not ({"uid", "token"} & errors.keys())
        _check_new_password_typed_twice(request, errors)
        if not errors:
            password_reset_confirm(
                user=confirm.validated_data["user"], new_password=confirm.validated_data["new_password"]
            )
            messages.success(request, "Your new password is set: log in with it.")
            return redirect("web:login")
    context = {"uid": uid, "token": token, "link_valid": link_valid, "errors": errors}
    status = 400 if errors or not link_valid else 200
    response = _page_response(request, "web/password_reset.html", context, status=status, private=True)
    response["Referrer-Policy"] = "no-referrer"  # the link's token must not travel to another page
    return response


# --- My ratings in and out: ratings.transfer and ratings.services.ratings_import --------------

IMPORT_FORMAT_NAMES = {"own": "this site's export", "letterboxd": "Letterboxd", "imdb": "IMDb"}


@require_safe
@login_required
def my_ratings_export(request: HttpRequest) -> HttpResponseBase:
    """Download every rating of mine (`?format=csv`, the default, or `json`): the API export's rows
    and writers, streamed."""
    chosen = request.GET.get("format", "").strip() or "csv"
    if chosen not in EXPORT_FORMATS:
        return _bad_request(request, [f"format: use csv or json, not {chosen[:50]!r}."])
    chunks, content_type = export_stream(cast(User, request.user), chosen)
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="ratings.{chosen}"'
    add_never_cache_headers(response)
    return response


@require_POST
@login_required
def my_ratings_import(request: HttpRequest) -> HttpResponse:
    """Import a ratings file (this site's export, Letterboxd or IMDb) through `ratings_import`:
    one transaction, newer wins, one write against the write throttle; `dry_run` previews."""
    if throttled := _throttled(request, WriteRateThrottle()):
        return throttled
    upload = request.FILES.get("file")
    dry_run = request.POST.get("dry_run") == "on"
    limit = settings.RATINGS_IMPORT_MAX_BYTES
    if upload is None:
        return _import_failed(request, "Choose a file to import.", status=400)
    if upload.size is None or upload.size > limit:
        return _import_failed(request, f"The file is larger than {limit // (1024 * 1024)} MiB.", status=413)
    try:
        report = ratings_import(user=cast(User, request.user), content=upload.read(), dry_run=dry_run)
    except ImportFileError as error:
        return _import_failed(request, str(error), status=400)
    context = {"report": report, "dry_run": dry_run, "format_name": IMPORT_FORMAT_NAMES.get(str(report.format))}
    return _page_response(request, "web/import_result.html", context, private=True)


def _import_failed(request: HttpRequest, problem: str, *, status: int) -> HttpResponse:
    context = {"problem": problem, "max_mib": settings.RATINGS_IMPORT_MAX_BYTES // (1024 * 1024)}
    return _page_response(request, "web/import_failed.html", context, status=status, private=True)


# --- Recommendations: recommendations.selectors ----------------------------------------------


@require_safe
@login_required
def recommendations(request: HttpRequest) -> HttpResponse:
    """Movies I have not rated, ranked for me from my ratings and the similar-movie model (the
    popular list until I have rated enough): `recommendations_for`, as the API serves them."""
    found = recommendations_for(
        user=cast(User, request.user), limit=RECOMMENDATIONS_DEFAULT_LIMIT, global_mean=selectors.global_mean_rating()
    )
    context = {"strategy": found.strategy, "movies": found.results, "min_ratings": MIN_RATINGS_FOR_PERSONAL}
    return _page_response(request, "web/recommendations.html", context, private=True)


# --- Ratings lists and profiles -------------------------------------------------------------


def _rated_movies(request: HttpRequest, user: User) -> tuple[RatingFilter, dict[str, Any]]:
    """A user's rated movies filtered and sorted like `/api/users/{username}/ratings/`."""
    filters = RatingFilter(data=request.GET, queryset=Rating.objects.filter(user=user).select_related("movie"))
    context = {
        "orderings": RATING_ORDERINGS,
        "ordering": request.GET.get("ordering", "") or "-updated_at",
        "score_choices": SCORE_CHOICES,
        "min_score": request.GET.get("min_score", ""),
    }
    return filters, context


@require_safe
@login_required
@handles_bad_parameters
def my_ratings(request: HttpRequest) -> HttpResponse:
    """The movies I rated, sortable and filterable."""
    user = cast(User, request.user)
    filters, context = _rated_movies(request, user)
    if not filters.is_valid():
        return _bad_request(request, _filter_errors(filters.errors))
    context.update(page=_page(request, filters.qs), max_mib=settings.RATINGS_IMPORT_MAX_BYTES // (1024 * 1024))
    return _page_response(request, "web/my_ratings.html", context, private=True)


@require_safe
@handles_bad_parameters
def profile(request: HttpRequest, username: str) -> HttpResponse:
    """A public profile: what anyone may see of an account (never its email) and its ratings."""
    person = get_object_or_404(user_named(username))
    filters, context = _rated_movies(request, person)
    if not filters.is_valid():
        return _bad_request(request, _filter_errors(filters.errors))
    context.update({"person": person, "page": _page(request, filters.qs)})
    return _page_response(request, "web/profile.html", context)
