"""The catalogue API: browse, search, filter and rank movies; staff curate movies and genres."""

from decimal import Decimal
from typing import Any, cast

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_filters import OrderingFilter
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from audit.actions import Action
from audit.services import audit_record
from config.api.pagination import PageNumberPagination
from config.api.params import positive_int, text
from config.api.versioning import for_version, request_version
from config.cache import GENRES, MOVIE_LISTS, cache_response, movie_tag, query_pairs
from movies import selectors, services
from movies.filters import COUNT_MAX, MovieFilterSet, filter_by_genre
from movies.models import Genre, Movie
from movies.serializers import (
    GenreSerializer,
    MovieDetailV1Serializer,
    MovieDetailV2Serializer,
    MovieV1Serializer,
    MovieV2Serializer,
    MovieWriteSerializer,
    movie_representation,
)

TOP_DEFAULT_LIMIT, TOP_MAX_LIMIT = 20, 100

# The list's parameters that can change how many movies it has: its filters, not the ordering
# (nor the page or its size, which are not the filterset's).
COUNT_FILTERS = frozenset(
    name for name, field in MovieFilterSet.base_filters.items() if not isinstance(field, OrderingFilter)
)


class IsCurator(permissions.DjangoModelPermissions):
    """Writes need a staff account that also holds the model permission (`movies.add_movie`, ...).

    Anonymous callers get a 401, everyone else without both a 403. Reads (`OPTIONS` included)
    are open.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff and super().has_permission(request, view))


class CatalogueViewSet(viewsets.GenericViewSet):
    """Reads are public; every other action needs a curator."""

    read_actions: frozenset[str] = frozenset({"list", "retrieve"})
    # The only floats movies and genres show are statistics, from 0.5 to 5.0: the renderer can
    # skip its checks for the floats orjson writes otherwise (config.api.renderers).
    plain_floats_only = True

    def get_permissions(self) -> list[permissions.BasePermission]:
        if self.action in self.read_actions:
            return [permissions.AllowAny()]
        return [IsCurator()]


class MovieViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    CatalogueViewSet,
):
    """Movies: a paginated, filterable list, a detail with the score distribution, the top list by
    weighted rating, and writes for curators.

    Statistics come from the counters stored on each movie; the weighted rating also needs the
    catalogue-wide mean C, read once per request from the cache (`selectors.global_mean_rating`).
    """

    queryset = Movie.objects.all()
    filterset_class = MovieFilterSet
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    read_actions = frozenset({"list", "retrieve", "top"})
    # Set per action (`top` validates its parameters by hand): see config.api.openapi.AutoSchema.
    extra_error_statuses: tuple[int, ...] = ()

    def global_mean(self) -> Decimal | None:
        """C for this request, read once."""
        if not hasattr(self, "_global_mean"):
            self._global_mean = selectors.global_mean_rating()
        return self._global_mean

    def get_queryset(self) -> QuerySet[Movie]:
        if self.action == "list":
            return selectors.catalogue_queryset(global_mean=self.global_mean(), sortable=self.list_is_filtered())
        # The detail and top read rows (selectors.movie_row, top_movie_rows); writes load the movie.
        return Movie.objects.all()

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # The list's parameters mean nothing on a single movie: they must not 404 or 400 there.
        if self.action != "list":
            return queryset
        # Without any of its parameters the filterset filters nothing and keeps the order: skip
        # building its form (about a millisecond a request, django-filter copies every field).
        if not self.list_is_filtered():
            return queryset
        return super().filter_queryset(queryset)

    def list_is_filtered(self) -> bool:
        """Whether the list's request names any parameter of its filterset (search, filters, ordering)."""
        return any(name in self.request.query_params for name in MovieFilterSet.base_filters)

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action in ("list", "top"):
            return for_version(self.request, {"1": MovieV1Serializer, "2": MovieV2Serializer})
        # The detail and the responses of writes.
        return for_version(self.request, {"1": MovieDetailV1Serializer, "2": MovieDetailV2Serializer})

    def get_serializer(self, *args: Any, **kwargs: Any) -> serializers.BaseSerializer:
        if self.action == "top":
            kwargs.setdefault("many", True)
        return super().get_serializer(*args, **kwargs)

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        if not getattr(self, "swagger_fake_view", False):  # schema generation: no database reads
            context["global_mean"] = self.global_mean()
        return context

    def represent(self, rows: list[dict[str, Any]]) -> list[Any]:
        """Movie rows as this request's version shows them: what `get_serializer_class()`'s
        serializer would give for the same movies, without its fields' machinery."""
        version, global_mean, zone = request_version(self.request), self.global_mean(), timezone.get_current_timezone()
        return [movie_representation(row, version=version, global_mean=global_mean, zone=zone) for row in rows]

    @cache_response(tags=lambda request, kwargs: [MOVIE_LISTS])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Movies, paginated, by title unless `ordering` says otherwise."""
        queryset = self.filter_queryset(self.get_queryset())
        paginator = self.paginator
        assert isinstance(paginator, PageNumberPagination)  # the list is always paginated
        limit = paginator.get_page_size(request)
        number = positive_int(request.query_params, paginator.page_query_param, default=1)
        filtered = self.list_is_filtered()
        count_filters = [(name, value) for name, value in query_pairs(request) if name in COUNT_FILTERS]
        rows = selectors.MovieListPage(
            queryset, plain=not filtered, filters=count_filters, offset=(number - 1) * limit, limit=limit
        )
        page = cast(list[dict[str, Any]] | None, self.paginate_queryset(rows))  # type: ignore[arg-type]
        assert page is not None
        return self.get_paginated_response(self.represent(selectors.shown_rows(page)))

    @cache_response(tags=lambda request, kwargs: [movie_tag(int(kwargs["pk"]))])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """One movie with its statistics and score distribution."""
        row = selectors.movie_row(int(kwargs["pk"]))  # reads are public: no object permission to check
        return Response(self.represent([row])[0])

    @extend_schema(
        parameters=[
            OpenApiParameter("genre", OpenApiTypes.STR, description="A genre name (any letter case) or slug."),
            OpenApiParameter(
                "min_ratings",
                {"type": "integer", "minimum": 1, "maximum": COUNT_MAX},
                description="Only movies with at least this many ratings (>= 1).",
                default=1,
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1},
                description=f"How many movies (>= 1; above {TOP_MAX_LIMIT} counts as {TOP_MAX_LIMIT}).",
                default=TOP_DEFAULT_LIMIT,
            ),
        ],
    )
    @action(detail=False, filter_backends=[], pagination_class=None, extra_error_statuses=(400,))
    @cache_response(tags=lambda request, kwargs: [MOVIE_LISTS])
    def top(self, request: Request) -> Response:
        """The best movies by Bayesian weighted rating; ties by ratings count, then title."""
        params = request.query_params
        # Refused above what the count column holds, as the list's `min_ratings` is.
        min_ratings = positive_int(params, "min_ratings", default=1, upper=COUNT_MAX)
        limit = positive_int(params, "limit", default=TOP_DEFAULT_LIMIT, maximum=TOP_MAX_LIMIT)
        queryset = Movie.objects.all()
        if genre := text(params, "genre"):
            queryset = filter_by_genre(queryset, genre)
        rows = selectors.top_movie_rows(
            queryset=queryset, global_mean=self.global_mean(), min_ratings=min_ratings, limit=limit
        )
        return Response(self.represent(rows))

    @extend_schema(request=MovieWriteSerializer)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Add a movie (staff with `movies.add_movie`); its genres must exist already."""
        body = MovieWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            movie = services.movie_create(**body.validated_data)
            audit_record(action=Action.MOVIE_CREATE, request=request, target=movie, details={"via": "api"})
        return Response(self.get_serializer(movie).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MovieWriteSerializer)
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Replace a movie (staff with `movies.change_movie`): omitted optional fields become empty."""
        partial = kwargs.pop("partial", False)
        movie = self.get_object()
        body = MovieWriteSerializer(movie, data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        changes = body.validated_data
        if not partial:
            changes = {"year": None, "genres": [], "imdb_id": None, "tmdb_id": None, **changes}
        with transaction.atomic():
            movie = services.movie_update(movie=movie, **changes)
            details = {"via": "api", "fields": sorted(body.validated_data)}
            audit_record(action=Action.MOVIE_UPDATE, request=request, target=movie, details=details)
        return Response(self.get_serializer(movie).data)

    @extend_schema(request=MovieWriteSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change some fields of a movie (staff with `movies.change_movie`)."""
        return super().partial_update(request, *args, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Delete a movie and its ratings (staff with `movies.delete_movie`)."""
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance: Movie) -> None:
        with transaction.atomic():
            audit_record(action=Action.MOVIE_DELETE, request=self.request, target=instance, details={"via": "api"})
            services.movie_delete(movie=instance)


class GenreViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, CatalogueViewSet):
    """Genres with their movie counts (a plain list); curators add new ones."""

    queryset = Genre.objects.all()
    serializer_class = GenreSerializer
    pagination_class = None
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Genre]:
        return selectors.genre_list_queryset()

    @cache_response(tags=lambda request, kwargs: [GENRES])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Every genre with its number of movies, alphabetically (not paginated)."""
        return super().list(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Add a genre (staff with `movies.add_genre`); its slug is made from the name."""
        body = GenreSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            genre = services.genre_create(name=body.validated_data["name"])
            audit_record(action=Action.GENRE_CREATE, request=request, target=genre, details={"via": "api"})
        created = selectors.genre_list_queryset().get(pk=genre.pk)
        return Response(GenreSerializer(created).data, status=status.HTTP_201_CREATED)
