"""What the harnesses check against: the truth read straight from PostgreSQL, bypassing the
service and its cache, and the comparisons of what the service shows with it (`.ci/faults.py`,
`.ci/soak.py`)."""

import contextlib
import uuid
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import psycopg
from stack import Reply, call, with_param

# --- The truth, read from PostgreSQL --------------------------------------------------------


class Database:
    """Reads straight from PostgreSQL, bypassing the service and its cache."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.connection: psycopg.Connection[Any] | None = None

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        for attempt in (1, 2):
            try:
                if self.connection is None or self.connection.closed:
                    self.connection = psycopg.connect(self.url, autocommit=True)
                return self.connection.execute(sql, tuple(params)).fetchall()
            except psycopg.OperationalError:
                self.close()  # the server restarted under this connection: reconnect once
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(psycopg.Error):
                self.connection.close()
            self.connection = None


def rounded_mean(count: int, total: Decimal) -> Decimal | None:
    return None if not count else (Decimal(total) / count).quantize(Decimal("0.01"), ROUND_HALF_UP)


def same_number(shown: Any, expected: Decimal | None) -> bool:
    if shown is None or expected is None:
        return shown is None and expected is None
    return Decimal(str(shown)) == expected


@dataclass(frozen=True)
class Probe:
    """A cached public endpoint and how to compare what it shows with the database."""

    kind: str  # movies, top, genres, movie, movie_ratings, profile, user_ratings
    path: str


def list_probes() -> list[Probe]:
    return [
        Probe("movies", "/api/movies/"),
        Probe("movies", "/api/movies/?ordering=-ratings_count"),
        Probe("movies", "/api/movies/?ordering=-weighted_rating"),
        Probe("top", "/api/movies/top/"),
        Probe("genres", "/api/genres/"),
    ]


def movie_probes(movies: Iterable[int]) -> list[Probe]:
    return [
        probe
        for movie in movies
        for probe in (
            Probe("movie", f"/api/movies/{movie}/"),
            Probe("movie_ratings", f"/api/movies/{movie}/ratings/?page_size=100"),
        )
    ]


def user_probes(usernames: Iterable[str]) -> list[Probe]:
    return [
        probe
        for username in usernames
        for probe in (
            Probe("profile", f"/api/users/{username}/"),
            Probe("user_ratings", f"/api/users/{username}/ratings/?page_size=100"),
        )
    ]


def differences(db: Database, probe: Probe, data: Any) -> list[str]:
    """How `data`, the body `probe.path` returned, differs from the rating rows in the database."""
    found: list[str] = []
    if probe.kind in ("movies", "top"):
        items = data["results"] if probe.kind == "movies" else data
        rows = db.rows(
            "SELECT movie_id, count(*), sum(score) FROM ratings_rating WHERE movie_id = ANY(%s) GROUP BY movie_id",
            ([item["id"] for item in items],),
        )
        truth = {movie: (count, total) for movie, count, total in rows}
        for item in items:
            count, total = truth.get(item["id"], (0, Decimal(0)))
            if item["ratings_count"] != count or not same_number(item["average_rating"], rounded_mean(count, total)):
                found.append(
                    f"movie {item['id']} shows {item['ratings_count']} ratings averaging {item['average_rating']}, "
                    f"the database has {count} averaging {rounded_mean(count, total)}"
                )
    elif probe.kind == "genres":
        rows = db.rows(
            "SELECT g.slug, count(mg.movie_id) FROM movies_genre g "
            "LEFT JOIN movies_movie_genres mg ON mg.genre_id = g.id GROUP BY g.slug"
        )
        shown = {item["slug"]: item["movies_count"] for item in data}
        if shown != dict(rows):
            found.append(f"genre counts {shown} differ from the database's {dict(rows)}")
    elif probe.kind == "movie":
        rows = db.rows("SELECT score, count(*) FROM ratings_rating WHERE movie_id = %s GROUP BY score", (data["id"],))
        distribution = {f"{Decimal(n) / 2:.1f}": 0 for n in range(1, 11)}
        distribution.update({f"{score:.1f}": count for score, count in rows})
        count = sum(c for _, c in rows)
        mean = rounded_mean(count, sum((s * c for s, c in rows), Decimal(0)))
        if data["ratings_count"] != count or not same_number(data["average_rating"], mean):
            found.append(
                f"movie {data['id']} shows {data['ratings_count']} ratings averaging {data['average_rating']}, "
                f"the database has {count} averaging {mean}"
            )
        if data["distribution"] != distribution:
            found.append(f"movie {data['id']} distribution {data['distribution']} != database {distribution}")
    elif probe.kind == "movie_ratings":
        movie = int(probe.path.split("/")[3])
        rows = db.rows(
            "SELECT u.username, r.score FROM ratings_rating r JOIN users_user u ON u.id = r.user_id "
            "WHERE r.movie_id = %s",
            (movie,),
        )
        by_user: dict[str, Decimal] = {username: score for username, score in rows}
        if data["count"] != len(by_user):
            found.append(f"movie {movie}'s ratings list counts {data['count']}, the database has {len(by_user)}")
        for item in data["results"]:
            if not same_number(item["score"], by_user.get(item["user"])):
                found.append(
                    f"movie {movie}: {item['user']} shows {item['score']}, database {by_user.get(item['user'])}"
                )
    elif probe.kind in ("profile", "user_ratings"):
        username = probe.path.split("/")[3]
        rows = db.rows(
            "SELECT r.movie_id, r.score FROM ratings_rating r JOIN users_user u ON u.id = r.user_id "
            "WHERE lower(u.username) = lower(%s)",
            (username,),
        )
        by_movie: dict[int, Decimal] = {movie: score for movie, score in rows}
        if probe.kind == "profile":
            mean = rounded_mean(len(by_movie), sum(by_movie.values(), Decimal(0)))
            if data["ratings_count"] != len(by_movie) or not same_number(data["average_score"], mean):
                found.append(
                    f"{username}'s profile shows {data['ratings_count']} ratings averaging {data['average_score']}, "
                    f"the database has {len(by_movie)} averaging {mean}"
                )
        else:
            if data["count"] != len(by_movie):
                found.append(f"{username}'s rated list counts {data['count']}, the database has {len(by_movie)}")
            for item in data["results"]:
                movie = item["movie"]["id"]
                if not same_number(item["score"], by_movie.get(movie)):
                    found.append(
                        f"{username} on movie {movie}: list shows {item['score']}, database {by_movie.get(movie)}"
                    )
    else:
        raise ValueError(probe.kind)
    return found


def stale(db: Database, probe: Probe, reply: Reply) -> list[str]:
    """Why `reply` is not a fresh 200 for `probe` (empty when it is)."""
    if reply.status != 200:
        return [reply.describe()]
    return [f"{probe.path} [{reply.cache}]: {d}" for d in differences(db, probe, reply.json())]


def check_against_database(port: int, db: Database, probes: list[Probe]) -> tuple[list[str], dict[str, int]]:
    """Read every probe until a cache HIT (at most 3 times), then once more under a fresh key
    (MISS, then HIT); every read must equal the database. Returns problems and X-Cache counts."""
    problems: list[str] = []
    seen = {"HIT": 0, "MISS": 0}
    for probe in probes:
        for path, first_must_miss in ((probe.path, False), (with_param(probe.path, "probe", uuid.uuid4().hex), True)):
            caches = []
            for _ in range(3):
                reply = call(port, "GET", path, kind="verify")
                problems += stale(db, probe, reply)
                caches.append(reply.cache)
                seen[reply.cache] = seen.get(reply.cache, 0) + 1
                if reply.cache == "HIT":
                    break
            if caches[-1] != "HIT" or (first_must_miss and caches[0] != "MISS"):
                problems.append(f"{path}: X-Cache went {' -> '.join(caches)}, expected a MISS then a HIT")
    return problems, seen


def stored_ratings(db: Database, usernames: Iterable[str]) -> dict[tuple[str, int], Decimal]:
    rows = db.rows(
        "SELECT u.username, r.movie_id, r.score FROM ratings_rating r JOIN users_user u ON u.id = r.user_id "
        "WHERE u.username = ANY(%s)",
        (sorted(set(usernames)),),
    )
    return {(username, movie): score for username, movie, score in rows}


def unconfirmed_writes(
    db: Database, acked: Mapping[tuple[str, int], Decimal | None], unknown: AbstractSet[tuple[str, int]] = frozenset()
) -> tuple[int, list[str]]:
    """How many acknowledged final states can be checked (a later write to the same pair that got
    no answer makes one unknown), and a line for each the database does not hold exactly (a
    score, or no row after a delete)."""
    stored = stored_ratings(db, (username for username, _ in acked))
    checked = {pair: expected for pair, expected in acked.items() if pair not in unknown}
    problems = [
        f"{username} on movie {movie}: acknowledged {expected if expected is not None else 'deleted'}, "
        f"the database has {stored.get((username, movie), 'no rating')}"
        for (username, movie), expected in sorted(checked.items())
        if stored.get((username, movie)) != expected
    ]
    return len(checked), problems
