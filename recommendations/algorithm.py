"""The numerical core, free of Django: item-to-item similarity and per-user ranking.

Similarity (`top_neighbours`) is adjusted cosine: each rating minus its rater's mean, then the
cosine of two movies' columns, over the user x movie sparse matrix. Two guards keep accidental
pairs out: a pair needs `min_overlap` common raters, and its similarity is shrunk by
`overlap / (overlap + shrinkage)`, so a handful of co-raters cannot make two movies "similar".
Only the `neighbours` best positive similarities per movie are kept.

The products are computed one block of movies at a time (dense `n_movies x block` arrays), so
memory stays bounded whatever the number of ratings; the block is sized from the catalogue.

Ranking (`rank_for_user`) is shared by the API and the offline evaluation. It is the classic
item-based prediction: a candidate's appeal to a user is the sum, over the candidate's
`RANKING_NEIGHBOURS` closest neighbours that the user rated, of similarity x (score - the user's
baseline), the baseline being the user's mean shrunk towards the global mean (so a user who gave
every movie 5 stars still has a signal). Using the candidate's own neighbours (not the rated
movies' neighbours) keeps "hub" movies, close to everything, from topping every list. Movies
with a positive appeal are ranked; `because` names up to three rated movies that contributed most.

All of these choices were measured with `manage.py evaluate_recommendations` (docs/recommendations.md).
"""

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# Dense block of products kept in memory at once: n_movies x block cells (float32 each).
_BLOCK_CELLS = 12_000_000


@dataclass(frozen=True)
class Parameters:
    """How the model is built; stored with each build."""

    neighbours: int = 50  # kept per movie (the similar endpoint serves at most 50)
    min_overlap: int = 5  # common raters a pair needs
    shrinkage: float = 25.0  # similarity x overlap / (overlap + shrinkage)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Neighbours:
    """Top neighbours, one row per (movie, rank), grouped by movie and ordered by rank."""

    movie_ids: IntArray
    neighbour_ids: IntArray
    ranks: IntArray
    similarities: FloatArray

    def __len__(self) -> int:
        return len(self.movie_ids)


def top_neighbours(users: IntArray, movies: IntArray, scores: FloatArray, parameters: Parameters) -> Neighbours:
    """Each movie's best `parameters.neighbours` neighbours by shrunk adjusted cosine.

    `users`, `movies` and `scores` are parallel arrays, one entry per rating, each (user,
    movie) pair at most once.
    """
    empty = np.empty(0, dtype=np.int64)
    if len(scores) == 0:
        return Neighbours(empty, empty, empty, np.empty(0, dtype=np.float64))
    _, user_index = np.unique(users, return_inverse=True)
    n_users = int(user_index.max()) + 1
    scores = scores.astype(np.float64)
    counts = np.bincount(user_index, minlength=n_users)
    means = np.bincount(user_index, weights=scores, minlength=n_users) / np.maximum(counts, 1)
    centred = scores - means[user_index]

    # A movie with fewer raters than `min_overlap` can have no neighbour, nor be one: leave it out
    # of the products (on MovieLens that is most of the catalogue's long tail).
    movie_ids, movie_index, raters_per_movie = np.unique(movies, return_inverse=True, return_counts=True)
    usable = raters_per_movie[movie_index] >= max(parameters.min_overlap, 1)
    movie_ids, movie_index = np.unique(movies[usable], return_inverse=True)
    user_index, centred = user_index[usable], centred[usable]
    n_movies = len(movie_ids)
    if n_movies < 2:
        return Neighbours(empty, empty, empty, np.empty(0, dtype=np.float64))

    shape = (n_users, n_movies)
    ratings = sparse.csc_matrix((centred.astype(np.float32), (user_index, movie_index)), shape=shape)
    raters = sparse.csc_matrix((np.ones(len(centred), dtype=np.float32), (user_index, movie_index)), shape=shape)
    norms = np.sqrt(np.asarray(ratings.multiply(ratings).sum(axis=0), dtype=np.float32).ravel())
    ratings_t, raters_t = ratings.T.tocsr(), raters.T.tocsr()

    keep = min(parameters.neighbours, n_movies - 1)
    block = max(1, min(n_movies, _BLOCK_CELLS // n_movies))
    found_movies, found_neighbours, found_ranks, found_similarities = [], [], [], []
    for start in range(0, n_movies, block):
        stop = min(start + block, n_movies)
        width = stop - start
        dots = (ratings_t @ ratings[:, start:stop]).toarray()
        overlap = (raters_t @ raters[:, start:stop]).toarray()
        denominator = np.outer(norms, norms[start:stop])
        similarity = np.divide(dots, denominator, out=np.zeros_like(dots), where=denominator > 0)
        del dots, denominator
        shrunk = overlap + np.float32(parameters.shrinkage)
        similarity *= np.divide(overlap, shrunk, out=np.zeros_like(overlap), where=shrunk > 0)
        del shrunk
        similarity[overlap < parameters.min_overlap] = 0.0
        del overlap
        similarity[np.arange(start, stop), np.arange(width)] = 0.0  # a movie is not its own neighbour
        if keep <= 0:
            continue
        # The best `keep` rows of each column, then sorted: best first, ties by movie id.
        best = np.argpartition(-similarity, keep - 1, axis=0)[:keep]
        values = np.take_along_axis(similarity, best, axis=0)
        order = np.lexsort((best, -values), axis=0)
        best = np.take_along_axis(best, order, axis=0)
        values = np.take_along_axis(values, order, axis=0)
        positive = values > 1e-9
        ranks = np.cumsum(positive, axis=0)
        columns = np.broadcast_to(np.arange(start, stop), best.shape)
        # Column-major (Fortran) order walks each movie's neighbours together, best first.
        mask = positive.ravel(order="F")
        found_movies.append(movie_ids[columns.ravel(order="F")[mask]])
        found_neighbours.append(movie_ids[best.ravel(order="F")[mask]])
        found_ranks.append(ranks.ravel(order="F")[mask].astype(np.int64))
        found_similarities.append(np.minimum(values.ravel(order="F")[mask], 1.0).astype(np.float64))

    if not found_movies:
        return Neighbours(empty, empty, empty, np.empty(0, dtype=np.float64))
    return Neighbours(
        np.concatenate(found_movies),
        np.concatenate(found_neighbours),
        np.concatenate(found_ranks),
        np.concatenate(found_similarities),
    )


@dataclass(frozen=True)
class Ranked:
    """A movie recommended to a user: its appeal and the rated movies that led to it, best first."""

    movie_id: int
    appeal: float
    because: list[int]


BASELINE_PRIOR = 5  # ratings' worth of the global mean in a user's baseline
# A candidate is ranked from its 20 closest neighbours (of the 50 stored): measured best on
# ml-latest-small (docs/recommendations.md).
RANKING_NEIGHBOURS = 20
BECAUSE_MAX = 3


def user_baseline(scores: FloatArray, global_mean: float) -> float:
    """The user's mean score shrunk towards the global mean, as if they had also given
    `BASELINE_PRIOR` ratings at the global mean."""
    return float((scores.sum() + BASELINE_PRIOR * global_mean) / (len(scores) + BASELINE_PRIOR))


def rank_for_user(
    *,
    rated_ids: IntArray,
    rated_scores: FloatArray,
    global_mean: float,
    sources: IntArray,
    candidates: IntArray,
    similarities: FloatArray,
    limit: int,
) -> list[Ranked]:
    """The `limit` movies of highest positive appeal that the user has not rated.

    `candidates[k]` has `sources[k]` (a movie the user rated) among its closest neighbours, with
    `similarities[k]`. Ties by movie id.
    """
    if len(rated_ids) == 0 or len(candidates) == 0:
        return []
    baseline = user_baseline(rated_scores, global_mean)
    order = np.argsort(rated_ids)
    sorted_ids, deviations = rated_ids[order], rated_scores[order] - baseline
    position = np.clip(np.searchsorted(sorted_ids, sources), 0, len(sorted_ids) - 1)
    known = sorted_ids[position] == sources
    contributions = np.where(known, similarities * deviations[position], 0.0)

    unrated = ~np.isin(candidates, rated_ids)
    candidates, sources, contributions = candidates[unrated], sources[unrated], contributions[unrated]
    if len(candidates) == 0:
        return []
    movie_ids, index = np.unique(candidates, return_inverse=True)
    appeal = np.bincount(index, weights=contributions, minlength=len(movie_ids))
    chosen = [i for i in np.lexsort((movie_ids, -appeal)) if appeal[i] > 1e-9][:limit]
    if not chosen:
        return []

    # Per chosen movie, its positive contributions, largest first (ties by rated movie id).
    chosen_index = np.full(len(movie_ids), -1, dtype=np.int64)
    chosen_index[chosen] = np.arange(len(chosen))
    rows = np.flatnonzero((chosen_index[index] >= 0) & (contributions > 1e-12))
    rows = rows[np.lexsort((sources[rows], -contributions[rows], chosen_index[index[rows]]))]
    because: list[list[int]] = [[] for _ in chosen]
    for row in rows:
        reasons = because[chosen_index[index[row]]]
        if len(reasons) < BECAUSE_MAX:
            reasons.append(int(sources[row]))
    return [
        Ranked(movie_id=int(movie_ids[i]), appeal=float(appeal[i]), because=because[n]) for n, i in enumerate(chosen)
    ]
