"""Reading the CSV files of a MovieLens release into checked rows (SPEC section 9).

The readers yield or return only good rows. Each bad row goes to `BadRows`, which counts it
by kind and hands it on (the command prints it at once) without keeping it, so a file full of
bad rows does not fill memory. Line numbers count the header as line 1.
"""

import csv
import re
from collections import Counter
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.utils.text import slugify

from config.domain import INT32_MAX, SCORE_TEXTS
from movies.models import validate_year
from movies.titles import move_article

MOVIES_CSV = "movies.csv"
LINKS_CSV = "links.csv"
RATINGS_CSV = "ratings.csv"
TAGS_CSV = "tags.csv"

MAX_ID = INT32_MAX  # MovieLens ids are stored in 32-bit integer columns
MAX_TIMESTAMP = 253_402_300_799  # 9999-12-31 23:59:59 UTC, the last second a datetime can hold
TITLE_MAX_LENGTH = 500
GENRE_MAX_LENGTH = 64
IMDB_MAX_DIGITS = 14  # "tt" + 14 digits fills the 16 characters of Movie.imdb_id
NO_GENRES = "(no genres listed)"

TRAILING_YEAR = re.compile(r"\((\d{4})(?:-(?:\d{4})?)?\)$")


class BadRowKind(StrEnum):
    MALFORMED = "missing or malformed field"
    UNKNOWN_MOVIE = "unknown movie"
    SCORE_OFF_SCALE = "score off the scale"
    BAD_TIMESTAMP = "bad timestamp"
    IMDB_TAKEN = "IMDb id already taken"
    DUPLICATE = "duplicate movie id"
    BAD_HEADER = "bad header (file skipped)"


@dataclass(frozen=True)
class BadRow:
    file: str
    line: int
    kind: BadRowKind
    reason: str

    def __str__(self) -> str:
        return f"{self.file} line {self.line}: {self.reason}"


class BadRows:
    """Counts bad rows by kind and passes each one to `report` as it is found."""

    def __init__(self, report: Callable[[BadRow], object]) -> None:
        self.counts: Counter[BadRowKind] = Counter()
        self._report = report

    def add(self, file: str, line: int, kind: BadRowKind, reason: str) -> None:
        self.counts[kind] += 1
        self._report(BadRow(file, line, kind, reason))


class RowError(Exception):
    """One field of a row is wrong; the row is skipped and reported."""

    def __init__(self, kind: BadRowKind, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


@dataclass(frozen=True, slots=True)
class MovieRow:
    line: int
    movielens_id: int
    title: str
    year: int | None
    genres: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LinkRow:
    line: int
    imdb_id: str
    tmdb_id: int | None


# (line, MovieLens userId, MovieLens movieId, score in half stars 1..10, Unix timestamp)
RatingRow = tuple[int, int, int, int, int]


def parse_title(raw: str) -> tuple[str, int | None]:
    """Split a MovieLens title into the display title and the year (the first of a range), if any."""
    raw = raw.strip()
    match = TRAILING_YEAR.search(raw)
    title = raw[: match.start()].strip() if match else raw
    if not title:
        raise RowError(BadRowKind.MALFORMED, "title is missing")
    title = move_article(title)
    if len(title) > TITLE_MAX_LENGTH:
        raise RowError(BadRowKind.MALFORMED, f"title is longer than {TITLE_MAX_LENGTH} characters")
    year = int(match[1]) if match else None
    try:
        validate_year(year)  # the model's own rule, as the admin and the API apply it
    except ValidationError as error:
        raise RowError(BadRowKind.MALFORMED, f"year {year}: {error.messages[0]}") from None
    return title, year


def parse_genres(raw: str) -> tuple[str, ...]:
    """Genre names as MovieLens spells them, each once; `(no genres listed)` means none."""
    names: dict[str, str] = {}
    for name in (part.strip() for part in raw.split("|")):
        if not name or name == NO_GENRES or name.lower() in names:
            continue
        if len(name) > GENRE_MAX_LENGTH or not slugify(name):
            raise RowError(
                BadRowKind.MALFORMED,
                f"genre {name!r} needs 1 to {GENRE_MAX_LENGTH} characters with a letter or digit",
            )
        names[name.lower()] = name
    return tuple(names.values())


def _identifier(text: str, column: str) -> int:
    if not text.strip():
        raise RowError(BadRowKind.MALFORMED, f"{column} is missing")
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 0 < value <= MAX_ID:
        raise RowError(BadRowKind.MALFORMED, f"{column} {text!r} is not a positive whole number")
    return value


def _imdb_id(text: str) -> str:
    digits = text.strip().removeprefix("tt")
    if not digits:
        raise RowError(BadRowKind.MALFORMED, "imdbId is missing")
    if not (digits.isascii() and digits.isdigit()) or int(digits) == 0 or len(str(int(digits))) > IMDB_MAX_DIGITS:
        raise RowError(BadRowKind.MALFORMED, f"imdbId {text!r} is not an IMDb number")
    return f"tt{int(digits):07d}"


def _tmdb_id(text: str) -> int | None:
    text = text.strip()
    return _identifier(text, "tmdbId") if text else None


# The spellings MovieLens uses, looked up before the general (slower) parse.
_HALF_STARS = {text: n for n, text in enumerate(SCORE_TEXTS, 1)} | {str(n): 2 * n for n in range(1, 6)}


def _half_stars(text: str) -> int:
    """The score in half stars (1 to 10)."""
    half_stars = _HALF_STARS.get(text)
    if half_stars is not None:
        return half_stars
    if not text:
        raise RowError(BadRowKind.MALFORMED, "rating is missing")
    try:
        doubled = Decimal(text) * 2
    except InvalidOperation:
        raise RowError(BadRowKind.MALFORMED, f"rating {text!r} is not a number") from None
    if not doubled.is_finite() or doubled != doubled.to_integral_value() or not 1 <= doubled <= 10:
        raise RowError(BadRowKind.SCORE_OFF_SCALE, f"rating {text} is off the scale (0.5 to 5.0 in half-star steps)")
    return int(doubled)


def _timestamp(text: str) -> int:
    if not text.strip():
        raise RowError(BadRowKind.MALFORMED, "timestamp is missing")
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_TIMESTAMP:
        raise RowError(
            BadRowKind.BAD_TIMESTAMP, f"timestamp {text!r} is not a Unix time (whole seconds since 1970, UTC)"
        )
    return value


def _rows(file: str, stream: Iterable[str], columns: tuple[str, ...], bad: BadRows) -> Iterator[tuple[int, list[str]]]:
    """(line, fields in `columns` order) for each non-blank row with as many fields as the header.

    Columns are found by their header name; a header lacking one makes the whole file unusable.
    """
    reader = csv.reader(stream)
    header = [name.strip() for name in next(reader, [])]
    missing = [name for name in columns if name not in header]
    if missing:
        found = ",".join(header) or "nothing"
        bad.add(file, 1, BadRowKind.BAD_HEADER, f"expected the columns {','.join(columns)}, found {found}")
        return
    positions = [header.index(name) for name in columns]
    in_order = positions == list(range(len(header)))
    end_of_previous = reader.line_num
    for fields in reader:
        line, end_of_previous = end_of_previous + 1, reader.line_num
        if not fields:
            continue
        if len(fields) != len(header):
            bad.add(file, line, BadRowKind.MALFORMED, f"expected {len(header)} fields, found {len(fields)}")
            continue
        yield line, fields if in_order else [fields[position] for position in positions]


def read_movies(stream: Iterable[str], bad: BadRows) -> dict[int, MovieRow]:
    """Every good row of movies.csv by MovieLens id, in file order."""
    movies: dict[int, MovieRow] = {}
    for line, (movie_id, raw_title, raw_genres) in _rows(MOVIES_CSV, stream, ("movieId", "title", "genres"), bad):
        try:
            movielens_id = _identifier(movie_id, "movieId")
            title, year = parse_title(raw_title)
            genres = parse_genres(raw_genres)
        except RowError as error:
            bad.add(MOVIES_CSV, line, error.kind, error.reason)
            continue
        if movielens_id in movies:
            earlier = movies[movielens_id].line
            bad.add(MOVIES_CSV, line, BadRowKind.DUPLICATE, f"movieId {movielens_id} is already on line {earlier}")
            continue
        movies[movielens_id] = MovieRow(line, movielens_id, title, year, genres)
    return movies


def _unknown_movie(movielens_id: int) -> RowError:
    return RowError(BadRowKind.UNKNOWN_MOVIE, f"movieId {movielens_id} is not a movie of movies.csv")


def read_links(stream: Iterable[str], movies: Container[int], bad: BadRows) -> dict[int, LinkRow]:
    """The good rows of links.csv by MovieLens id; each IMDb id goes to the first movie that claims it."""
    links: dict[int, LinkRow] = {}
    claimed: dict[str, int] = {}
    for line, (movie_id, imdb, tmdb) in _rows(LINKS_CSV, stream, ("movieId", "imdbId", "tmdbId"), bad):
        try:
            movielens_id = _identifier(movie_id, "movieId")
            if movielens_id not in movies:
                raise _unknown_movie(movielens_id)
            imdb_id, tmdb_id = _imdb_id(imdb), _tmdb_id(tmdb)
            if movielens_id in links:
                earlier = links[movielens_id].line
                raise RowError(BadRowKind.DUPLICATE, f"movieId {movielens_id} already has a link on line {earlier}")
            if imdb_id in claimed:
                holder = claimed[imdb_id]
                raise RowError(
                    BadRowKind.IMDB_TAKEN,
                    f"IMDb id {imdb_id} is already taken by movieId {holder} (line {links[holder].line})",
                )
        except RowError as error:
            bad.add(LINKS_CSV, line, error.kind, error.reason)
            continue
        links[movielens_id] = LinkRow(line, imdb_id, tmdb_id)
        claimed[imdb_id] = movielens_id
    return links


def read_ratings(stream: Iterable[str], movies: Container[int], bad: BadRows) -> Iterator[RatingRow]:
    """The good rows of ratings.csv, streamed: repeated (user, movie) pairs are all yielded, in file order."""
    columns = ("userId", "movieId", "rating", "timestamp")
    for line, (user_id, movie_id, rating, timestamp) in _rows(RATINGS_CSV, stream, columns, bad):
        # Fast path for the millions of good rows; a row it does not accept is checked field by
        # field below, which names what is wrong.
        try:
            user, movie, moment, half_stars = int(user_id), int(movie_id), int(timestamp), _HALF_STARS[rating]
        except (ValueError, KeyError):
            pass
        else:
            if 0 < user <= MAX_ID and movie in movies and 0 <= moment <= MAX_TIMESTAMP:
                yield line, user, movie, half_stars, moment
                continue
        try:
            user = _identifier(user_id, "userId")
            movie = _identifier(movie_id, "movieId")
            if movie not in movies:
                raise _unknown_movie(movie)
            yield line, user, movie, _half_stars(rating), _timestamp(timestamp)
        except RowError as error:
            bad.add(RATINGS_CSV, line, error.kind, error.reason)
