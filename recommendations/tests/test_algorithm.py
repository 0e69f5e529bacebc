"""The numerical core on hand-made data: overlap, shrinkage, ordering and per-user ranking."""

import numpy as np
import pytest

from recommendations.algorithm import Parameters, rank_for_user, top_neighbours, user_baseline


def arrays(rows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    data = np.array(rows, dtype=np.float64)
    return data[:, 0].astype(np.int64), data[:, 1].astype(np.int64), data[:, 2]


def neighbours_of(result, movie_id):
    chosen = result.movie_ids == movie_id
    return list(zip(result.neighbour_ids[chosen].tolist(), result.similarities[chosen].tolist(), strict=True))


# Movies 10 and 20 are rated alike by six users, 30 the opposite way; 40 shares two raters with 10.
ROWS = [
    *[(u, 10, s) for u, s in zip(range(1, 7), [5, 4, 5, 1, 2, 1], strict=True)],
    *[(u, 20, s) for u, s in zip(range(1, 7), [5, 5, 4, 1, 1, 2], strict=True)],
    *[(u, 30, s) for u, s in zip(range(1, 7), [1, 2, 1, 5, 4, 5], strict=True)],
    (1, 40, 5),
    (2, 40, 4),
]


def test_movies_rated_alike_are_neighbours_and_opposites_are_not():
    result = top_neighbours(*arrays(ROWS), Parameters(min_overlap=5, shrinkage=0))
    assert [n for n, _ in neighbours_of(result, 10)] == [20]
    assert [n for n, _ in neighbours_of(result, 20)] == [10]
    assert neighbours_of(result, 30) == []


def test_the_similarity_is_the_adjusted_cosine_of_the_centred_scores():
    users, movies, scores = arrays(ROWS[:18])
    result = top_neighbours(users, movies, scores, Parameters(min_overlap=1, shrinkage=0))
    means = {u: scores[users == u].mean() for u in range(1, 7)}
    a = np.array([s - means[u] for u, m, s in zip(users, movies, scores, strict=True) if m == 10])
    b = np.array([s - means[u] for u, m, s in zip(users, movies, scores, strict=True) if m == 20])
    expected = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    assert neighbours_of(result, 10)[0][1] == pytest.approx(expected, rel=1e-5)


def test_a_pair_below_the_minimum_overlap_is_never_similar():
    # 40 and 10 share two raters who both liked both: similar without the overlap guard.
    loose = top_neighbours(*arrays(ROWS), Parameters(min_overlap=2, shrinkage=0))
    strict = top_neighbours(*arrays(ROWS), Parameters(min_overlap=3, shrinkage=0))
    assert 40 in [n for n, _ in neighbours_of(loose, 10)]
    assert 40 not in [n for n, _ in neighbours_of(strict, 10)]
    assert neighbours_of(strict, 40) == []


def test_shrinkage_scales_a_similarity_by_overlap_over_overlap_plus_shrinkage():
    plain = dict(neighbours_of(top_neighbours(*arrays(ROWS), Parameters(min_overlap=5, shrinkage=0)), 10))
    shrunk = dict(neighbours_of(top_neighbours(*arrays(ROWS), Parameters(min_overlap=5, shrinkage=6)), 10))
    assert shrunk[20] == pytest.approx(plain[20] * 6 / (6 + 6), rel=1e-5)


def test_neighbours_are_ranked_best_first_and_capped_per_movie():
    rng = np.random.default_rng(3)
    users = np.repeat(np.arange(60), 12)
    movies = np.tile(np.arange(12), 60)
    scores = rng.integers(1, 11, size=len(users)) / 2
    result = top_neighbours(users, movies, scores, Parameters(neighbours=4, min_overlap=5, shrinkage=1))
    for movie in range(12):
        chosen = result.movie_ids == movie
        assert chosen.sum() <= 4
        assert result.ranks[chosen].tolist() == list(range(1, chosen.sum() + 1))
        assert np.all(np.diff(result.similarities[chosen]) <= 0)
        assert movie not in result.neighbour_ids[chosen]
    assert np.all((result.similarities > 0) & (result.similarities <= 1))


def test_no_ratings_give_no_neighbours():
    empty = np.empty(0, dtype=np.int64)
    assert len(top_neighbours(empty, empty, np.empty(0), Parameters())) == 0


def test_the_baseline_leans_towards_the_global_mean_for_few_ratings():
    assert user_baseline(np.array([5.0] * 5), global_mean=3.5) == pytest.approx(4.25)


def rank(rated, rows, limit=10):
    rated_ids = np.array(list(rated), dtype=np.int64)
    rated_scores = np.array(list(rated.values()), dtype=np.float64)
    data = np.array(rows, dtype=np.float64).reshape(-1, 3)
    return rank_for_user(
        rated_ids=rated_ids,
        rated_scores=rated_scores,
        global_mean=3.0,
        sources=data[:, 0].astype(np.int64),
        candidates=data[:, 1].astype(np.int64),
        similarities=data[:, 2],
        limit=limit,
    )


def test_ranking_prefers_neighbours_of_liked_movies_and_skips_rated_ones():
    rated = {1: 5.0, 2: 5.0, 3: 1.0, 4: 3.0, 5: 4.0}
    rows = [(1, 100, 0.5), (2, 100, 0.4), (3, 200, 0.9), (1, 2, 0.9), (5, 300, 0.2), (4, 300, 0.1)]
    ranked = rank(rated, rows)
    assert [item.movie_id for item in ranked] == [100, 300]  # 200 only resembles a disliked movie
    assert ranked[0].because == [1, 2]
    assert ranked[1].because == [5]  # movie 4 was rated below the baseline: it did not lead to 300


def test_because_names_at_most_three_rated_movies_largest_contribution_first():
    rated = {1: 5.0, 2: 4.5, 3: 5.0, 4: 4.0, 5: 5.0}
    rows = [(1, 9, 0.1), (2, 9, 0.2), (3, 9, 0.3), (4, 9, 0.4), (5, 9, 0.5)]
    (item,) = rank(rated, rows)
    assert item.because == [5, 3, 2]


def test_ranking_is_limited_and_breaks_ties_by_movie_id():
    rated = {1: 5.0}
    rows = [(1, 30, 0.5), (1, 10, 0.5), (1, 20, 0.5)]
    assert [item.movie_id for item in rank(rated, rows, limit=2)] == [10, 20]


def test_nothing_is_ranked_without_neighbours():
    assert rank({1: 5.0}, []) == []
