"""Rating endpoints: the caller's own rating of a movie, a movie's ratings, users' rated movies."""

from collections.abc import Iterable
from dataclasses import asdict
from typing import Any, cast

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, parsers, permissions, renderers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from config.api.errors import PayloadTooLarge
from config.api.throttling import WriteRateThrottle
from config.api.versioning import default_version, for_version, request_version
from config.cache import cache_response, movie_tag, user_tag
from movies.models import Movie
from ratings.filters import RatingFilter
from ratings.models import Rating
from ratings.serializers import (
    OWN_RATING_COLUMNS,
    RATED_MOVIE_COLUMNS,
    ExportedRatingSerializer,
    MovieRatingSerializer,
    OwnRatingV1Serializer,
    OwnRatingV2Serializer,
    RatedMovieSerializer,
    RatingsImportReportSerializer,
    RatingsImportRequestSerializer,
    RatingWriteSerializer,
    own_rating_representation,
    plain_rating_write,
    rated_movie_representation,
)
from ratings.services import rating_delete, rating_put, ratings_import
from ratings.transfer import EXPORT_FORMATS, ImportFileError, export_stream
from users.models import User, user_named


def _own_rating_schema(version: str, **kwargs: Any) -> Any:
    return extend_schema(versions=[version], **kwargs)


class OwnRatingViewSet(viewsets.GenericViewSet):
    """`/api/movies/{movie_id}/rating/`: the caller's rating of one movie (read, replace, delete).

    Writes go through `ratings.services`, which keeps the movie's statistics exact; the
    response shows the movie's statistics after the write. The GET and the PUT answer a row of
    `OWN_RATING_COLUMNS` shown by `own_rating_representation`, byte for byte what the
    version's own-rating serializer shows (those serializers remain the schema). (The OpenAPI
    descriptions come from the actions' docstrings, written for API users, never from this one.)
    """

    permission_classes = [permissions.IsAuthenticated]
    pagination_class = None
    filter_backends: list[Any] = []
    # The only floats shown are scores and averages, 0.5 to 5.0: the renderer skips its float checks.
    plain_floats_only = True

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return for_version(self.request, {"1": OwnRatingV1Serializer, "2": OwnRatingV2Serializer})

    def get_throttles(self) -> list[BaseThrottle]:
        # Rating writes are throttled per user, rejected ones included; reads are not.
        return [WriteRateThrottle()] if self.request.method in ("PUT", "DELETE") else []

    def get_object(self) -> Rating:
        """The caller's rating of the movie in the URL, with both, in one query (404 for an
        unknown movie or no rating: the two are the same answer)."""
        ratings = Rating.objects.select_related("movie", "user")
        return get_object_or_404(ratings, user=self.request.user, movie__pk=self.kwargs["movie_id"])

    def shown(self, row: dict[str, Any]) -> dict[str, Any]:
        """A row of `OWN_RATING_COLUMNS` as this request's version shows it."""
        return own_rating_representation(
            row, version=request_version(self.request), zone=timezone.get_current_timezone()
        )

    @_own_rating_schema("1", responses=OwnRatingV1Serializer)
    @_own_rating_schema("2", responses=OwnRatingV2Serializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Your rating of this movie, with the movie's current statistics; 404 if you have not rated it."""
        mine = Rating.objects.filter(user=cast(User, request.user), movie__pk=kwargs["movie_id"])
        ratings = mine.values(*OWN_RATING_COLUMNS)
        return Response(self.shown(get_object_or_404(ratings)))

    @_own_rating_schema(
        "1", request=RatingWriteSerializer, responses={200: OwnRatingV1Serializer, 201: OwnRatingV1Serializer}
    )
    @_own_rating_schema(
        "2", request=RatingWriteSerializer, responses={200: OwnRatingV2Serializer, 201: OwnRatingV2Serializer}
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Create (201) or fully replace (200) the caller's rating; an omitted review becomes empty."""
        validated = plain_rating_write(request.data)
        if validated is None:  # not a body clients usually send: the serializer judges it
            write = RatingWriteSerializer(data=request.data)
            write.is_valid(raise_exception=True)
            validated = write.validated_data
        outcome = rating_put(user=cast(User, request.user), movie_id=kwargs["movie_id"], **validated)
        if outcome is None:
            raise Http404
        row, created = outcome
        return Response(self.shown(row), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Delete your rating of this movie; 404 if you have not rated it."""
        rating_delete(rating=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class MovieRatingsViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """`/api/movies/{movie_id}/ratings/`: everyone's ratings of one movie, paginated."""

    serializer_class = MovieRatingSerializer
    filterset_class = RatingFilter

    def get_queryset(self) -> QuerySet[Rating]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no URL kwargs
            return Rating.objects.none()
        return Rating.objects.filter(movie_id=self.kwargs["movie_id"]).select_related("user")

    @cache_response(tags=lambda request, kwargs: [movie_tag(kwargs["movie_id"])])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Everyone's ratings of this movie, latest activity first, paginated."""
        get_object_or_404(Movie.objects.only("pk"), pk=kwargs["movie_id"])
        return super().list(request, *args, **kwargs)


class RatedMoviesViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The movies a user rated (their profile list): `/api/users/{username}/ratings/` for anyone,
    `/api/users/me/ratings/` for the caller."""

    serializer_class = RatedMovieSerializer
    filterset_class = RatingFilter
    # The only floats shown are scores, 0.5 to 5.0: the renderer skips its float checks.
    plain_floats_only = True

    def get_permissions(self) -> list[Any]:
        if self.action == "mine":
            return [permissions.IsAuthenticated()]
        return [permissions.AllowAny()]

    def get_queryset(self) -> QuerySet[Rating]:
        if getattr(self, "swagger_fake_view", False):  # schema generation names no user
            return Rating.objects.none()
        return Rating.objects.filter(user=self.rated_by).select_related("movie")

    @cache_response(tags=lambda request, kwargs: [user_tag(kwargs["username"])])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The movies this user rated, latest activity first, paginated."""
        self.rated_by = get_object_or_404(user_named(kwargs["username"]).only("pk"))
        return self.rated_page()

    @extend_schema(operation_id="users_me_ratings_list", responses=RatedMovieSerializer(many=True))
    def mine(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The movies you rated, latest activity first, paginated."""
        self.rated_by = cast(User, request.user)
        return self.rated_page()

    def rated_page(self) -> Response:
        """The page of `rated_by`'s ratings as `values()` rows shown by a plain function: what
        `RatedMovieSerializer` gave, byte for byte, without model instances or serializer fields."""
        queryset = self.filter_queryset(self.get_queryset()).values(*RATED_MOVIE_COLUMNS)
        page = self.paginate_queryset(queryset)
        assert page is not None  # the lists are always paginated (config.api.pagination)
        zone = timezone.get_current_timezone()
        return self.get_paginated_response([rated_movie_representation(row, zone) for row in page])


class _NoFormatOverride:
    """DRF's settings, except that `?format=` does not pick a renderer: these views own the parameter."""

    URL_FORMAT_OVERRIDE = None

    def __getattr__(self, name: str) -> Any:
        return getattr(api_settings, name)


class OwnFormatNegotiation(DefaultContentNegotiation):
    """Content negotiation that leaves `?format=` to the view (DRF reserves it by default, and
    would answer `?format=csv` with a 404 for want of a `csv` renderer)."""

    settings = cast(Any, _NoFormatOverride())


class CSVRenderer(renderers.BaseRenderer):
    """Lets `Accept: text/csv` through negotiation; the export writes its own body."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return b""  # pragma: no cover - the export streams its own body; errors render as JSON


_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no", ""}


def _choice(request: Request, name: str, choices: Iterable[str], default: str) -> str:
    value = request.query_params.get(name, "").strip() or default
    if value not in choices:
        allowed = ", ".join(sorted(choices))
        raise ValidationError({name: [f"Must be one of {allowed}, not {value[:50]!r}."]})
    return value


def _flag(request: Request, name: str) -> bool:
    value = request.query_params.get(name, "").strip().lower()
    if value not in _TRUE | _FALSE:
        raise ValidationError({name: [f"Must be true or false, not {value[:50]!r}."]})
    return value in _TRUE


class _OwnRatingsFileViewSet(viewsets.GenericViewSet):
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = None
    filter_backends: list[Any] = []
    content_negotiation_class = OwnFormatNegotiation


class RatingsExportViewSet(_OwnRatingsFileViewSet):
    """`/api/users/me/ratings/export/`: every rating of the caller as a download (SPEC section 13).

    Streamed from a server-side cursor, so memory stays flat whatever the count. Not throttled
    as a write: it is a read of the caller's own data.
    """

    renderer_classes = [renderers.JSONRenderer, CSVRenderer]
    extra_error_statuses = (400,)  # an unknown ?format=

    @extend_schema(
        operation_id="users_me_ratings_export",
        parameters=[
            OpenApiParameter(
                "format", str, enum=["csv", "json"], default="csv", description="The file format of the download."
            )
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="Every rating as CSV (RFC 4180, UTF-8, header row), newest `updated_at` first.",
            ),
            (200, "application/json"): OpenApiResponse(
                ExportedRatingSerializer(many=True),
                description="Every rating as one JSON list, newest `updated_at` first.",
            ),
        },
    )
    def export(self, request: Request, *args: Any, **kwargs: Any) -> StreamingHttpResponse:
        """Download every rating of the caller (`?format=csv`, the default, or `json`), streamed."""
        export_format = _choice(request, "format", EXPORT_FORMATS, "csv")
        chunks, content_type = export_stream(cast(User, request.user), export_format)
        if request_version(request) != default_version():
            content_type += f"; version={request_version(request)}"  # the media type the schema declares
        response = StreamingHttpResponse(chunks, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="ratings.{export_format}"'
        response["Cache-Control"] = "no-store"
        return response


class RatingsImportViewSet(_OwnRatingsFileViewSet):
    """`/api/users/me/ratings/import/`: ratings in from a CSV file (SPEC section 13).

    Written through `ratings.services.ratings_import` in one transaction; counts once against
    the write throttle, whatever the file's size. The body limit of this path is its own
    (`RATINGS_IMPORT_MAX_BYTES`, `config.middleware.BodySizeLimitMiddleware`).
    """

    parser_classes = [parsers.MultiPartParser]
    throttle_classes = [WriteRateThrottle]
    extra_error_statuses = (413,)

    @extend_schema(
        operation_id="users_me_ratings_import",
        request={"multipart/form-data": RatingsImportRequestSerializer},
        parameters=[
            OpenApiParameter(
                "dry_run", OpenApiTypes.BOOL, default=False, description="Say what the import would do, write nothing."
            )
        ],
        responses={200: RatingsImportReportSerializer},
    )
    def import_ratings(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Import a CSV file of ratings (this service's export, Letterboxd or IMDb), newer wins.

        The format is found from the header row. A file that is not UTF-8 CSV or has an unknown
        header is a 400, a file over 5 MiB a 413, with nothing written; bad rows are listed in
        `invalid` and the others imported; rows whose movie is not found in `unmatched`.
        """
        dry_run = _flag(request, "dry_run")
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": ["Send the ratings file as the multipart field `file`."]})
        limit = settings.RATINGS_IMPORT_MAX_BYTES
        if upload.size is None or upload.size > limit:
            raise PayloadTooLarge(f"The file is larger than {limit} bytes ({limit // (1024 * 1024)} MiB).")
        try:
            report = ratings_import(user=cast(User, request.user), content=upload.read(), dry_run=dry_run)
        except ImportFileError as error:
            raise ValidationError({"file": [str(error)]}) from None
        response = Response(RatingsImportReportSerializer(asdict(report)).data)
        response["Cache-Control"] = "no-store"
        return response
