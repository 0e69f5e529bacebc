"""What only PostgreSQL's loader does: rebuilding the ratings indexes after a bulk load."""

import pytest
from django.db import connection

from movielens.loaders import postgres
from movielens.tests.test_import_support import run_import, write_release

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres(reason="the index rebuild is the PostgreSQL loader's bulk path (DATABASE_URL)"),
]


def test_a_bulk_load_into_an_empty_table_restores_every_index_and_constraint(tmp_path, monkeypatch):

    def extras():
        with connection.cursor() as cursor:
            cursor.execute(postgres.RATINGS_EXTRAS)
            return sorted(restore for restore, _ in cursor.fetchall())

    before = extras()
    monkeypatch.setattr(postgres, "BULK_LOAD_MIN_ROWS", 1)

    out, _ = run_import(
        write_release(
            tmp_path,
            movies="1,Heat (1995),Crime\n2,Casino (1995),Crime",
            ratings="1,1,4.0,964982703\n1,2,3.5,964982931\n2,1,5.0,964983815",
        )
    )

    assert "  ratings: 3 created, 0 updated, 0 unchanged" in out
    assert extras() == before
    assert len(before) >= 6  # unique pair, two foreign keys, the indexes of the model


def test_a_load_into_a_table_that_has_ratings_keeps_its_indexes_in_place(tmp_path, monkeypatch):
    run_import(write_release(tmp_path / "old", movies="1,Heat (1995),Crime", ratings="1,1,4.0,964982703"))
    monkeypatch.setattr(postgres, "BULK_LOAD_MIN_ROWS", 1)
    monkeypatch.setattr(postgres, "ratings_indexes_rebuilt", lambda cursor: pytest.fail("rebuilt a non-empty table"))

    out, _ = run_import(write_release(tmp_path / "new", movies="1,Heat (1995),Crime", ratings="2,1,3.0,964982703"))

    assert "  ratings: 1 created, 0 updated, 0 unchanged" in out
