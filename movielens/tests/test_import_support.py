"""Helpers shared by the importer tests: small releases written into tmp_path, and running the command."""

from io import StringIO
from pathlib import Path
from textwrap import dedent

import pytest
from django.conf import settings
from django.core.management import call_command

from movielens import importer
from movielens.loaders.orm import OrmLoader

HEADERS = {
    "movies.csv": "movieId,title,genres",
    "links.csv": "movieId,imdbId,tmdbId",
    "ratings.csv": "userId,movieId,rating,timestamp",
    "tags.csv": "userId,movieId,tag,timestamp",
}


def write_release(folder: Path, **files: str) -> Path:
    """Write each `name=rows` as `name.csv`: the header line, then the (dedented) rows.

    The header is line 1, so the first row is line 2, as in the reports.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in files.items():
        filename = f"{name}.csv"
        text = HEADERS[filename] + "\n" + dedent(rows).strip("\n") + "\n"
        (folder / filename).write_text(text, encoding="utf-8")
    return folder


def run_import(source: Path | str, *options: str) -> tuple[str, str]:
    """Run `import_movielens SOURCE [OPTIONS]`; its (stdout, stderr)."""
    out, err = StringIO(), StringIO()
    call_command("import_movielens", str(source), *options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# On PostgreSQL both loaders run; elsewhere the database's own loader is the ORM one, so it runs once.
LOADERS = ["postgres", "orm"] if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") else ["orm"]


@pytest.fixture(params=LOADERS)
def both_loaders(request, monkeypatch):
    """Run a test with each loader the database has: set-based SQL on PostgreSQL, and the ORM one."""
    if request.param == "orm":
        monkeypatch.setattr(importer, "loader_for", OrmLoader)
