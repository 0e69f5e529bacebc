from decimal import Decimal
from typing import Any

import pytest

from movies.tests.factories import GenreFactory, MovieFactory
from ratings.services import rating_upsert
from users.tests.factories import UserFactory


def rate(user, movie, score) -> None:
    """A rating written through the service, so the movie's statistics stay exact."""
    rating_upsert(user=user, movie=movie, score=Decimal(str(score)), review="")


@pytest.fixture
def taste(db):
    """Six raters who like `heat` and `ronin` alike and `notebook` the opposite way; `lonely` has
    only two raters (below the minimum overlap), `unrated` none.

    Adjusted cosine: heat~ronin is positive, heat~notebook negative (never stored).
    """
    action = GenreFactory.create(name="Action")
    movies: dict[str, Any] = {
        "heat": MovieFactory.create(title="Heat", year=1995, genres=[action]),
        "ronin": MovieFactory.create(title="Ronin", year=1998, genres=[action]),
        "notebook": MovieFactory.create(title="The Notebook", year=2004),
        "lonely": MovieFactory.create(title="Lonely", year=2001),
        "unrated": MovieFactory.create(title="Unrated", year=2001),
    }
    heat = [5, 4, 5, 1, 2, 1]
    ronin = [5, 5, 4, 1, 1, 2]
    notebook = [1, 2, 1, 5, 4, 5]
    raters = UserFactory.create_batch(6)
    for user, a, b, c in zip(raters, heat, ronin, notebook, strict=True):
        rate(user, movies["heat"], a)
        rate(user, movies["ronin"], b)
        rate(user, movies["notebook"], c)
    for user in raters[:2]:
        rate(user, movies["lonely"], 3)
    movies["raters"] = raters
    return movies
