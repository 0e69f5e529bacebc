"""Ratings in and out (SPEC section 13): export rows, and reading and matching import files.

Import files are one of three CSV formats, told apart by their header row:

- `own`: this service's export (`movie_id,title,year,imdb_id,tmdb_id,score,review,rated_at,updated_at`);
- `letterboxd`: Letterboxd's `ratings.csv` (`Date,Name,Year,Letterboxd URI,Rating`, 0.5 to 5 stars);
- `imdb`: IMDb's ratings export (`Const,Your Rating,Date Rated,Title,...,Title Type,...,Year,...`,
  1 to 10, mapped to half stars as rating / 2).

Columns are found by name, so extra columns and any column order are accepted. A file that
cannot be read as CSV text at all is refused as a whole (`ImportFileError`, a 400 with nothing
written); a row that can be read but holds a bad value goes to `invalid` with its line and
reason, and the other rows are still imported. Lines are file lines: the header is line 1, and
a row whose quoted field spans lines is numbered by its first line.

The writes themselves go through `ratings.services.ratings_bulk_upsert`.
"""

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Func, Q, TextField
from django.utils import timezone
from rest_framework import ISO_8601
from rest_framework.fields import DateTimeField
from rest_framework.settings import api_settings

from config.domain import SCORES
from movies.models import Movie
from movies.titles import title_match_key
from ratings.models import REVIEW_MAX_LENGTH, Rating
from users.models import User


class ImportFormat(StrEnum):
    OWN = "own"
    LETTERBOXD = "letterboxd"
    IMDB = "imdb"


EXPORT_COLUMNS = ("movie_id", "title", "year", "imdb_id", "tmdb_id", "score", "review", "rated_at", "updated_at")
_REQUIRED_COLUMNS = {
    ImportFormat.OWN: EXPORT_COLUMNS,
    ImportFormat.LETTERBOXD: ("Date", "Name", "Year", "Letterboxd URI", "Rating"),
    ImportFormat.IMDB: ("Const", "Your Rating", "Date Rated", "Title", "Title Type", "Year"),
}
IMDB_MOVIE_TYPES = ("Movie", "movie")

# Dates up to a day ahead are tolerated (time zones); later ones would win every future import.
_FUTURE_TOLERANCE = timedelta(days=1)
# Nobody rated a film before 1900; far older dates (year 1 with an offset) would not even read back.
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_IMDB_ID = re.compile(r"^tt(\d{7,14})$")
_YEAR = re.compile(r"^\d{4}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HEADER_SHOWN = 200  # characters of an unknown header quoted back in the error


class ImportFileError(Exception):
    """The file as a whole cannot be imported (not UTF-8, not CSV, unknown header): nothing is written."""


class _RowError(Exception):
    """One value of one row is wrong: the row goes to `invalid`, the others are imported."""


class UnmatchedReason(StrEnum):
    NOT_FOUND = "not found in the catalogue"
    AMBIGUOUS = "ambiguous: the title and year match more than one movie"
    NOT_A_MOVIE = "not a movie"


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One readable row of an import file, before it is matched to a movie."""

    line: int
    title: str
    year: int | None
    imdb_id: str | None
    score: Decimal
    review: str | None  # None: the format has no reviews, so a held review is kept
    rated_at: datetime
    updated_at: datetime
    movie_id: int | None = None  # own export only: breaks a tie between movies of the same title and year
    title_type: str | None = None  # IMDb only


@dataclass(frozen=True, slots=True)
class MatchedRow:
    row: ImportRow
    movie_id: int


@dataclass
class ImportFile:
    """A read import file: its format, its good rows and the rows refused with their reasons."""

    format: ImportFormat
    rows: list[ImportRow]
    invalid: list[dict[str, Any]]


# --- Export -------------------------------------------------------------------------------


class _ApiTimestamp(Func):
    """PostgreSQL: a timestamp as text the way the API writes it (see `_timestamp_writer`).

    ISO 8601 in UTC with `Z`, microseconds only when there are any. Reading 100,000 timestamps
    as text saves parsing them into datetimes only to format them again, which was most of an
    export's time.
    """

    output_field = TextField()

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        utc = f"({sql} AT TIME ZONE 'UTC')"
        text = (
            f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN mod(extract(microseconds FROM {sql})::bigint, "
            f"1000000) <> 0 THEN to_char({utc}, '.US') ELSE '' END || 'Z'"
        )
        return text, (*params, *params, *params)


def export_rows(user: User, *, chunk_size: int = 5000) -> Iterator[dict[str, Any]]:
    """Every rating of `user` as an export row, newest `updated_at` first, read in chunks.

    A server-side cursor on PostgreSQL (`iterator`), so memory stays flat whatever the count.
    Scores are numbers; timestamps are written as the API writes them (DRF's `DateTimeField`).
    """
    write_timestamp = _timestamp_writer()
    rows = Rating.objects.filter(user=user).order_by("-updated_at", "-id")
    timestamps: tuple[str, str] = ("rated_at", "updated_at")
    if connection.vendor == "postgresql" and write_timestamp is _write_utc_iso:
        rows = rows.annotate(rated_text=_ApiTimestamp("rated_at"), updated_text=_ApiTimestamp("updated_at"))
        timestamps = ("rated_text", "updated_text")
    columns = rows.values_list(
        "movie_id", "movie__title", "movie__year", "movie__imdb_id", "movie__tmdb_id", "score", "review", *timestamps
    )
    for movie_id, title, year, imdb_id, tmdb_id, score, review, rated_at, updated_at in columns.iterator(
        chunk_size=chunk_size
    ):
        yield {
            "movie_id": movie_id,
            "title": title,
            "year": year,
            "imdb_id": imdb_id,
            "tmdb_id": tmdb_id,
            "score": float(score),
            "review": review,
            "rated_at": rated_at if isinstance(rated_at, str) else write_timestamp(rated_at),
            "updated_at": updated_at if isinstance(updated_at, str) else write_timestamp(updated_at),
        }


def _write_utc_iso(value: datetime) -> str:
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _timestamp_writer() -> Callable[[datetime], str]:
    """How the API writes a timestamp (DRF's `DateTimeField`), fast for the usual settings.

    With ISO 8601 output in UTC (this project's settings) that is `isoformat()` with `Z` for
    `+00:00`, about ten times cheaper than the field's own per-value time zone lookups, which
    dominate an export of 50,000 ratings otherwise. Other settings use the field itself.
    """
    if api_settings.DATETIME_FORMAT != ISO_8601 or settings.TIME_ZONE != "UTC" or not settings.USE_TZ:
        return DateTimeField().to_representation
    return _write_utc_iso


class _Line:
    """A file-like object that hands back what the csv writer wrote into it."""

    def write(self, text: str) -> str:
        return text


def export_csv(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The export as RFC 4180 CSV (CRLF line ends, quotes where needed), one line at a time.

    Cells are written as they are stored: no prefix is added to cells starting with `=`, `+`,
    `-` or `@` (see docs/ratings.md), so an export imports back unchanged.
    """
    writer = csv.writer(_Line())
    yield writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        yield writer.writerow(["" if row[name] is None else row[name] for name in EXPORT_COLUMNS])


def export_json(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The export as one JSON list, written one object at a time."""
    from rest_framework.utils.encoders import JSONEncoder

    encoder = JSONEncoder(ensure_ascii=False)
    first = True
    yield "["
    for row in rows:
        yield ("" if first else ",") + encoder.encode(row)
        first = False
    yield "]"


EXPORT_FORMATS: dict[str, tuple[Callable[[Iterable[dict[str, Any]]], Iterator[str]], str]] = {
    "csv": (export_csv, "text/csv; charset=utf-8"),
    "json": (export_json, "application/json"),
}
_EXPORT_CHUNK = 64 * 1024  # characters per written chunk: one write per row would cost a system call each


def export_stream(user: User, export_format: str) -> tuple[Iterator[str], str]:
    """Every rating of `user` in `export_format` (a key of `EXPORT_FORMATS`) as text chunks of
    about 64 KiB, and its content type: what the API and the website stream as a download."""
    write, content_type = EXPORT_FORMATS[export_format]
    return _in_chunks(write(export_rows(user))), content_type


def _in_chunks(parts: Iterable[str]) -> Iterator[str]:
    buffer: list[str] = []
    size = 0
    for part in parts:
        buffer.append(part)
        size += len(part)
        if size >= _EXPORT_CHUNK:
            yield "".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer)


# --- Reading an import file ---------------------------------------------------------------


def _text(content: bytes) -> str:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            f"The file is not UTF-8 text (byte {error.start} cannot be decoded): save or export it as UTF-8 CSV."
        ) from None
    if "\x00" in text:
        raise ImportFileError("The file contains NUL bytes, so it is not a CSV text file.")
    if not text.strip():
        raise ImportFileError("The file is empty: it needs a header row and one row per rating.")
    return text


def _detect(header: list[str]) -> ImportFormat:
    for import_format, columns in _REQUIRED_COLUMNS.items():
        if all(name in header for name in columns):
            return import_format
    found = ",".join(header)
    if len(found) > _HEADER_SHOWN:
        found = found[:_HEADER_SHOWN] + "..."
    expected = "; or ".join(",".join(columns) for columns in _REQUIRED_COLUMNS.values())
    raise ImportFileError(f"Unknown header row {found!r}: expected the columns of one of {expected}.")


def read_import_file(content: bytes) -> ImportFile:
    """Read an uploaded file: detect its format, check every row, keep the good ones.

    Raises `ImportFileError` when the file as a whole is unusable.
    """
    reader = csv.reader(io.StringIO(_text(content), newline=""), strict=True)
    try:
        header = [name.strip() for name in next(reader, [])]
        import_format = _detect(header)
        positions = {name: header.index(name) for name in _REQUIRED_COLUMNS[import_format]}
        parse = _PARSERS[import_format]
        now = timezone.now()
        rows: list[ImportRow] = []
        invalid: list[dict[str, Any]] = []
        end_of_previous = reader.line_num
        for fields in reader:
            line, end_of_previous = end_of_previous + 1, reader.line_num
            if not any(field.strip() for field in fields):  # blank lines, and lines of only spaces or commas
                continue
            if len(fields) != len(header):
                invalid.append({"line": line, "reason": f"expected {len(header)} fields, found {len(fields)}"})
                continue
            values = {name: fields[position].strip() for name, position in positions.items()}
            if import_format is ImportFormat.OWN:
                values["review"] = fields[positions["review"]]  # reviews keep their spaces
            try:
                row = parse(line, values)
                if row.updated_at > now + _FUTURE_TOLERANCE:
                    raise _RowError(f"the date {_date_text(import_format, values)!r} is in the future")
            except _RowError as error:
                invalid.append({"line": line, "reason": str(error)})
                continue
            rows.append(row)
    except csv.Error as error:
        raise ImportFileError(f"Line {reader.line_num} is not valid CSV ({error}).") from None
    return ImportFile(import_format, rows, invalid)


def _date_text(import_format: ImportFormat, values: dict[str, str]) -> str:
    return values[{"own": "updated_at", "letterboxd": "Date", "imdb": "Date Rated"}[import_format]]


# The usual spellings of the scale, looked up before the general parse.
_SCORE_TEXTS = {text: score for score in SCORES for text in (str(score), f"{score:.1f}", f"{score:g}")}
_IMDB_SCORES = {str(n): Decimal(n) / 2 for n in range(1, 11)}


def _score(text: str, column: str) -> Decimal:
    score = _SCORE_TEXTS.get(text)
    if score is not None:
        return score.quantize(Decimal("0.1"))
    try:
        score = Decimal(text)
    except InvalidOperation:
        score = Decimal(0)
    if not score.is_finite() or score not in SCORES:
        shown = repr(text) if text else "missing"
        raise _RowError(f"{column} {shown} is not a score from 0.5 to 5 in half-star steps")
    return score.quantize(Decimal("0.1"))


def _imdb_score(text: str) -> Decimal:
    score = _IMDB_SCORES.get(text)
    if score is None:
        shown = repr(text) if text else "missing"
        raise _RowError(f"Your Rating {shown} is not a whole number from 1 to 10")
    return score


def _day(text: str, column: str) -> datetime:
    """A calendar date (`YYYY-MM-DD`) read as midnight UTC."""
    try:
        day = date.fromisoformat(text) if _DATE.match(text) else None
    except ValueError:
        day = None
    if day is None:
        shown = repr(text) if text else "missing"
        raise _RowError(f"{column} {shown} is not a date (YYYY-MM-DD)")
    return _not_too_early(datetime(day.year, day.month, day.day, tzinfo=UTC), text, column)


def _not_too_early(moment: datetime, text: str, column: str) -> datetime:
    if moment < _EARLIEST:
        raise _RowError(f"{column} {text!r} is before 1900")
    return moment


def _moment(text: str, column: str) -> datetime:
    """An ISO 8601 date and time as the API writes it; without an offset it is UTC; a bare date is midnight UTC."""
    if _DATE.match(text):
        return _day(text, column)
    try:
        moment = datetime.fromisoformat(text) if "T" in text or " " in text else None
    except ValueError:
        moment = None
    if moment is None:
        shown = repr(text) if text else "missing"
        raise _RowError(f"{column} {shown} is not a date and time (ISO 8601, as the export writes it)")
    return _not_too_early(moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC), text, column)


def _year(text: str, column: str) -> int | None:
    if not text:
        return None
    if not _YEAR.match(text):
        raise _RowError(f"{column} {text!r} is not a year")
    return int(text)


def _imdb_id(text: str, column: str) -> str | None:
    if not text:
        return None
    match = _IMDB_ID.match(text)
    if not match or int(match[1]) == 0:
        raise _RowError(f"{column} {text!r} is not an IMDb id (tt and at least 7 digits)")
    return f"tt{int(match[1]):07d}"


def _own_row(line: int, values: dict[str, str]) -> ImportRow:
    updated_at = _moment(values["updated_at"], "updated_at")
    rated_at = _moment(values["rated_at"], "rated_at") if values["rated_at"] else updated_at
    if rated_at > updated_at:
        raise _RowError("rated_at is later than updated_at")
    review = values["review"]
    if len(review) > REVIEW_MAX_LENGTH:
        raise _RowError(f"the review is longer than {REVIEW_MAX_LENGTH} characters")
    movie_id = values["movie_id"]
    return ImportRow(
        line=line,
        title=values["title"],
        year=_year(values["year"], "year"),
        imdb_id=_imdb_id(values["imdb_id"], "imdb_id"),
        score=_score(values["score"], "score"),
        review=review,
        rated_at=rated_at,
        updated_at=updated_at,
        movie_id=int(movie_id) if movie_id.isascii() and movie_id.isdigit() and len(movie_id) < 11 else None,
    )


def _letterboxd_row(line: int, values: dict[str, str]) -> ImportRow:
    moment = _day(values["Date"], "Date")
    return ImportRow(
        line=line,
        title=values["Name"],
        year=_year(values["Year"], "Year"),
        imdb_id=None,
        score=_score(values["Rating"], "Rating"),
        review=None,
        rated_at=moment,
        updated_at=moment,
    )


def _imdb_row(line: int, values: dict[str, str]) -> ImportRow:
    moment = _day(values["Date Rated"], "Date Rated")
    return ImportRow(
        line=line,
        title=values["Title"],
        year=_year(values["Year"], "Year"),
        imdb_id=_imdb_id(values["Const"], "Const"),
        score=_imdb_score(values["Your Rating"]),
        review=None,
        rated_at=moment,
        updated_at=moment,
        title_type=values["Title Type"],
    )


_PARSERS = {ImportFormat.OWN: _own_row, ImportFormat.LETTERBOXD: _letterboxd_row, ImportFormat.IMDB: _imdb_row}


# --- Matching rows to movies --------------------------------------------------------------


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    """PostgreSQL takes any number of values in one `IN`; SQLite at most 32,766 bound variables."""
    size = (len(values) or 1) if connection.vendor == "postgresql" else 30_000
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _unmatched(row: ImportRow, reason: str) -> dict[str, Any]:
    return {"line": row.line, "title": row.title, "year": row.year, "reason": reason}


def match_rows(rows: list[ImportRow]) -> tuple[list[MatchedRow], list[dict[str, Any]]]:
    """Find each row's movie: by IMDb id first, then by title and year (SPEC sections 9 and 13).

    Titles compare case-insensitively with one leading or trailing article ignored on both sides
    (`movies.titles.title_match_key`). A row without a year matches only a movie without one.
    Costs two queries whatever the number of rows: the IMDb ids, then the movies of the years
    the remaining rows name.
    """
    matched: list[MatchedRow] = []
    unmatched: list[dict[str, Any]] = []
    candidates = [row for row in rows if row.title_type is None or row.title_type in IMDB_MOVIE_TYPES]
    for row in rows:
        if row.title_type is not None and row.title_type not in IMDB_MOVIE_TYPES:
            unmatched.append(_unmatched(row, f"{UnmatchedReason.NOT_A_MOVIE} (Title Type {row.title_type!r})"))

    imdb_ids = sorted({row.imdb_id for row in candidates if row.imdb_id})
    by_imdb: dict[str, int] = {}
    for chunk in _chunks(imdb_ids):
        for imdb_id, pk in Movie.objects.filter(imdb_id__in=chunk).values_list("imdb_id", "pk"):
            by_imdb[str(imdb_id)] = pk

    by_title: list[ImportRow] = []
    for row in candidates:
        if row.imdb_id in by_imdb:
            matched.append(MatchedRow(row, by_imdb[row.imdb_id]))
        else:
            by_title.append(row)

    wanted = {(title_match_key(row.title), row.year) for row in by_title if row.title}
    index: dict[tuple[str, int | None], list[int]] = {}
    years = sorted({year for _, year in wanted if year is not None})
    if wanted:
        in_years = Q(year__in=years)
        if any(year is None for _, year in wanted):
            in_years |= Q(year__isnull=True)
        movies = Movie.objects.filter(in_years).order_by("pk").values_list("pk", "title", "year")
        for pk, title, year in movies.iterator(chunk_size=5000):
            key = (title_match_key(title), year)
            if key in wanted:
                index.setdefault(key, []).append(pk)

    for row in by_title:
        found = index.get((title_match_key(row.title), row.year), []) if row.title else []
        if len(found) == 1:
            matched.append(MatchedRow(row, found[0]))
        elif row.movie_id is not None and row.movie_id in found:
            matched.append(MatchedRow(row, row.movie_id))
        elif found:
            unmatched.append(_unmatched(row, f"{UnmatchedReason.AMBIGUOUS} ({len(found)} movies)"))
        else:
            unmatched.append(_unmatched(row, UnmatchedReason.NOT_FOUND))
    matched.sort(key=lambda match: match.row.line)
    unmatched.sort(key=lambda entry: entry["line"])
    return matched, unmatched
