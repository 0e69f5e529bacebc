"""The build: written aside, swapped in one transaction, never half-visible; and its commands."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import OperationalError

from recommendations import services
from recommendations.models import MovieSimilarity, SimilarityModel
from recommendations.services import similarity_model_activate, similarity_model_build

pytestmark = pytest.mark.django_db

DEMO_DIR = Path(__file__).resolve().parents[2] / "movielens" / "demo"


def test_a_build_stores_each_movies_neighbours_under_a_new_active_model(taste):
    model = similarity_model_build()
    assert model.is_active and model.activated_at is not None
    assert model.ratings_count == 20
    rows = list(MovieSimilarity.objects.filter(model=model).values_list("movie__title", "neighbour__title", "rank"))
    assert sorted(rows) == [("Heat", "Ronin", 1), ("Ronin", "Heat", 1)]
    assert model.parameters == {"neighbours": 50, "min_overlap": 5, "shrinkage": 25.0}


def test_a_rebuild_replaces_the_previous_model_and_deletes_its_rows(taste):
    first = similarity_model_build()
    second = similarity_model_build()
    assert list(SimilarityModel.objects.values_list("pk", "is_active")) == [(second.pk, True)]
    assert not MovieSimilarity.objects.filter(model_id=first.pk).exists()


def test_a_build_that_fails_while_writing_leaves_the_active_model_as_it_was(taste, monkeypatch):
    active = similarity_model_build()
    rows_before = list(MovieSimilarity.objects.values_list("pk", flat=True))

    def broken(model, neighbours):
        MovieSimilarity.objects.create(model=model, movie=taste["heat"], neighbour=taste["lonely"], rank=1,
                                       similarity=0.5)  # fmt: skip
        raise OperationalError("connection lost mid-write")

    monkeypatch.setattr(services, "_write_neighbours", broken)
    with pytest.raises(OperationalError):
        similarity_model_build()
    assert list(SimilarityModel.objects.values_list("pk", flat=True)) == [active.pk]
    assert list(MovieSimilarity.objects.values_list("pk", flat=True)) == rows_before


def test_an_older_build_finishing_late_never_replaces_a_newer_model(taste):
    older = SimilarityModel.objects.create()
    newer = similarity_model_build()
    assert similarity_model_activate(model=older) is False
    assert SimilarityModel.objects.get(is_active=True) == newer
    assert not SimilarityModel.objects.filter(pk=older.pk).exists()  # discarded as stale


def test_a_build_with_no_ratings_activates_an_empty_model(db):
    model = similarity_model_build()
    assert model.is_active and model.pairs_count == 0


def test_build_similarities_builds_in_the_foreground_and_reports(taste):
    out = StringIO()
    call_command("build_similarities", stdout=out)
    model = SimilarityModel.objects.get(is_active=True)
    assert out.getvalue().startswith(f"Similarity model {model.pk}: 2 neighbour pairs for 2 movies from 20 ratings")


def test_an_import_that_changed_something_rebuilds_the_model(db):
    out = StringIO()
    call_command("import_movielens", str(DEMO_DIR), stdout=out, stderr=StringIO())
    assert "Similar movies: model rebuilt." in out.getvalue()
    assert SimilarityModel.objects.get(is_active=True).pairs_count > 0

    again = StringIO()
    call_command("import_movielens", str(DEMO_DIR), stdout=again, stderr=StringIO())
    assert "Similar movies" not in again.getvalue()  # nothing changed: nothing to rebuild


def test_the_demo_data_comes_with_similar_movies(db):
    call_command("load_demo_data", stdout=StringIO(), stderr=StringIO())
    assert MovieSimilarity.objects.filter(model__is_active=True).values("movie").distinct().count() >= 20


def test_an_unreachable_broker_does_not_fail_an_import_that_succeeded(db, monkeypatch):
    from recommendations import tasks

    def unreachable(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.rebuild_similarities, "delay", unreachable)
    out = StringIO()
    call_command("import_movielens", str(DEMO_DIR), stdout=out, stderr=StringIO())
    assert "could not queue the rebuild (broker down); run `manage.py build_similarities`" in out.getvalue()
