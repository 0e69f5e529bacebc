"""Offline evaluation: per-user hold-out hit rate at 10, the model against popularity baselines.

For every user with at least `MIN_RATINGS_FOR_PERSONAL + 1` ratings and one they liked (4 stars
or more), one liked rating is held out at random (seeded). The model is built from the other
ratings with the same code as the real build, each user is served exactly as the API serves them
(personal ranking from their training ratings, or the popular fallback when that gives nothing),
and it is a hit when the held-out movie is in the first 10. The baselines rank every movie the
user has not rated by the weighted rating of SPEC section 6 (what the `popular` strategy serves)
and by number of ratings.
"""

import csv
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recommendations.algorithm import RANKING_NEIGHBOURS, Parameters, rank_for_user, top_neighbours
from recommendations.selectors import MIN_RATINGS_FOR_PERSONAL
from recommendations.services import RatingArrays

TOP_N = 10
LIKED = 4.0


@dataclass(frozen=True)
class Evaluation:
    users: int
    personal_users: int
    hit_rate_model: float
    hit_rate_weighted: float
    hit_rate_most_rated: float
    seconds_building: float

    def summary(self) -> str:
        return (
            f"{self.users:,} users ({self.personal_users:,} personal), hit rate at {TOP_N}: "
            f"model {self.hit_rate_model:.3f}, weighted top list {self.hit_rate_weighted:.3f}, "
            f"most rated {self.hit_rate_most_rated:.3f}"
        )

    def lines(self) -> list[str]:
        return [
            f"Mean over the hold-out draws ({self.users:,} users each, one liked rating held out per user):",
            f"  served personal recommendations: {self.personal_users:,}; the others got the popular list",
            f"  hit rate at {TOP_N}, model:                               {self.hit_rate_model:.3f}",
            f"  hit rate at {TOP_N}, popular (weighted rating, top list): {self.hit_rate_weighted:.3f}",
            f"  hit rate at {TOP_N}, most rated:                          {self.hit_rate_most_rated:.3f}",
            f"  model built from the training ratings in {self.seconds_building:.1f} s (mean)",
        ]


def average(results: list[Evaluation]) -> Evaluation:
    """The mean of several hold-out draws."""
    return Evaluation(
        users=round(float(np.mean([r.users for r in results]))),
        personal_users=round(float(np.mean([r.personal_users for r in results]))),
        hit_rate_model=float(np.mean([r.hit_rate_model for r in results])),
        hit_rate_weighted=float(np.mean([r.hit_rate_weighted for r in results])),
        hit_rate_most_rated=float(np.mean([r.hit_rate_most_rated for r in results])),
        seconds_building=float(np.mean([r.seconds_building for r in results])),
    )


def ratings_from_csv(folder: Path) -> RatingArrays:
    """`ratings.csv` of a MovieLens release; a repeated (user, movie) keeps its later row."""
    scores: dict[tuple[int, int], float] = {}
    with (folder / "ratings.csv").open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            scores[(int(row["userId"]), int(row["movieId"]))] = float(row["rating"])
    pairs = np.array(list(scores), dtype=np.int64).reshape(-1, 2)
    return RatingArrays(users=pairs[:, 0], movies=pairs[:, 1], scores=np.array(list(scores.values())))


def _hold_out(data: RatingArrays, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A boolean mask of the held-out ratings (one per eligible user) and the users it covers."""
    rng = np.random.default_rng(seed)
    order = np.lexsort((data.movies, data.users))
    users, scores = data.users[order], data.scores[order]
    held = np.zeros(len(users), dtype=bool)
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
    ends = np.r_[starts[1:], len(users)]
    for start, end in zip(starts, ends, strict=True):
        liked = np.flatnonzero(scores[start:end] >= LIKED)
        if end - start > MIN_RATINGS_FOR_PERSONAL and len(liked):
            held[start + rng.choice(liked)] = True
    mask = np.zeros(len(users), dtype=bool)
    mask[order] = held
    return mask, np.unique(data.users[mask])


def evaluate(data: RatingArrays, *, parameters: Parameters | None = None, seed: int = 0, prior: int = 10) -> Evaluation:
    """One hold-out draw: build from the training ratings, serve every held-out user, count hits."""
    held, _ = _hold_out(data, seed)
    train = ~held
    users, movies, scores = data.users[train], data.movies[train], data.scores[train]
    started = time.perf_counter()
    neighbours = top_neighbours(users, movies, scores, parameters or Parameters())
    built = time.perf_counter() - started

    # The rows the ranking uses (a candidate's closest neighbours), grouped by that neighbour, for
    # slicing by the movies a user rated.
    usable = np.flatnonzero(neighbours.ranks <= RANKING_NEIGHBOURS)
    by_neighbour = usable[np.argsort(neighbours.neighbour_ids[usable], kind="stable")]
    neighbour_sorted = neighbours.neighbour_ids[by_neighbour]

    # Baselines from the training ratings: weighted rating (Bayesian, prior m) and count.
    movie_ids, index = np.unique(movies, return_inverse=True)
    counts = np.bincount(index)
    sums = np.bincount(index, weights=scores)
    global_mean = float(scores.mean())
    weighted = (sums + prior * global_mean) / (counts + prior)
    weighted_order = movie_ids[np.lexsort((movie_ids, -counts, -weighted))]
    count_order = movie_ids[np.lexsort((movie_ids, -counts))]

    def top_unrated(order: np.ndarray, rated: np.ndarray) -> np.ndarray:
        return order[~np.isin(order, rated)][:TOP_N]

    user_order = np.argsort(users, kind="stable")
    sorted_users = users[user_order]
    hits_model = hits_weighted = hits_count = personal = evaluated = 0
    for user, target in zip(data.users[held], data.movies[held], strict=True):
        lo, hi = np.searchsorted(sorted_users, [user, user + 1])
        rows = user_order[lo:hi]
        rated, rated_scores = movies[rows], scores[rows]
        evaluated += 1
        starts = np.searchsorted(neighbour_sorted, rated)
        ends = np.searchsorted(neighbour_sorted, rated, side="right")
        spans = [np.arange(a, b) for a, b in zip(starts, ends, strict=True)]
        picked = by_neighbour[np.concatenate(spans).astype(np.int64)] if spans else by_neighbour[:0]
        ranked = rank_for_user(
            rated_ids=rated,
            rated_scores=rated_scores,
            global_mean=global_mean,
            sources=neighbours.neighbour_ids[picked],
            candidates=neighbours.movie_ids[picked],
            similarities=neighbours.similarities[picked],
            limit=TOP_N,
        )
        if ranked:
            personal += 1
            served = np.array([item.movie_id for item in ranked])
        else:
            served = top_unrated(weighted_order, rated)
        hits_model += int(target in served)
        hits_weighted += int(target in top_unrated(weighted_order, rated))
        hits_count += int(target in top_unrated(count_order, rated))
    total = max(evaluated, 1)
    return Evaluation(
        users=evaluated,
        personal_users=personal,
        hit_rate_model=hits_model / total,
        hit_rate_weighted=hits_weighted / total,
        hit_rate_most_rated=hits_count / total,
        seconds_building=built,
    )
