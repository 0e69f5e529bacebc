"""The domain's constants, defined once for every app (each layer may import `config`).

- The score scale is MovieLens': half stars from 0.5 to 5.0. `SCORES` are its ten values as
  Decimals (the database constraint, the API, the importer); `SCORE_TEXTS` the same as the text
  "0.5" ... "5.0" (distribution keys, CSV files).
- `FIRST_FILM_YEAR`: no movie is older than 1870 (a movie's year is checked against it, the
  admin's decades start there).
- `INT32_MAX`: the largest value of the 32-bit integer columns (ids from MovieLens and TMDB,
  the counters); a larger number is rejected before it reaches the database.
"""

from decimal import Decimal

SCORE_STEP = Decimal("0.5")
SCORES: tuple[Decimal, ...] = tuple(Decimal(n) / 2 for n in range(1, 11))  # 0.5, 1, 1.5, ..., 5
SCORE_MIN, SCORE_MAX = SCORES[0], SCORES[-1]
SCORE_TEXTS: tuple[str, ...] = tuple(f"{score:.1f}" for score in SCORES)

FIRST_FILM_YEAR = 1870

INT32_MAX = 2**31 - 1
