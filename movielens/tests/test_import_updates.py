"""Importing again: the same release changes nothing, a newer one adds and updates what changed."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from movielens.tests.test_import_support import both_loaders, run_import, write_release  # noqa: F401
from movies.models import Movie
from ratings.models import Rating
from users.models import User
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_loaders")]


MOVIES = """
    1,"Usual Suspects, The (1995)",Crime|Mystery|Thriller
    2,Heat (1995),Action|Crime|Thriller
    3,Casino (1995),Crime|Drama
"""
LINKS = """
    1,0114814,629
    2,0113277,949
    3,0112641,524
"""
RATINGS = """
    1,1,4.0,964982703
    1,2,3.5,964982931
    2,1,5.0,964983815
    2,3,2.0,964984100
"""


def snapshot() -> dict[str, object]:
    """Every row the import writes, with its timestamps."""
    return {
        "movies": sorted(
            Movie.objects.values_list("movielens_id", "title", "year", "imdb_id", "tmdb_id", "created_at", "updated_at")
        ),
        "genres": sorted(Movie.genres.through.objects.values_list("movie__movielens_id", "genre__name")),
        "users": sorted(
            User.objects.values_list("username", "password", "date_joined", "ratings_count", "ratings_sum")
        ),
        "ratings": sorted(Rating.objects.values_list("user__username", "movie_id", "score", "rated_at", "updated_at")),
    }


def test_importing_the_same_release_again_changes_nothing(tmp_path):
    release = write_release(tmp_path, movies=MOVIES, links=LINKS, ratings=RATINGS)
    run_import(release)
    before = snapshot()

    out, _ = run_import(release)

    assert snapshot() == before
    assert "  movies:  0 created, 0 updated, 3 unchanged" in out
    assert "  genres:  0 created, 0 updated, 5 unchanged" in out
    assert "  users:   0 created, 0 updated, 2 unchanged" in out
    assert "  ratings: 0 created, 0 updated, 4 unchanged" in out
    assert "Nothing changed: the database already holds this release." in out


def test_a_newer_release_adds_and_updates_only_what_changed(tmp_path):
    run_import(write_release(tmp_path / "old", movies=MOVIES, links=LINKS, ratings=RATINGS))
    before = {movie.movielens_id: movie for movie in Movie.objects.all()}
    rating_before = {(r.user.username, r.movie.movielens_id): r for r in Rating.objects.select_related("user", "movie")}

    out, _ = run_import(
        write_release(
            tmp_path / "new",
            movies="""
                1,"Usual Suspects, The (1995)",Crime|Mystery|Thriller
                2,Heat (1995),Action|Crime|Drama|Thriller
                3,"Casino, The (1996)",Crime|Drama
                4,Sabrina (1995),Comedy|Romance
            """,
            links="""
                1,0114814,629
                2,0113277,949
                3,0112641,525
                4,0114319,11860
            """,
            ratings="""
                1,1,4.0,964982703
                1,2,4.5,1100000000
                2,1,5.0,964983815
                3,4,3.0,1200000000
            """,
        )
    )

    assert "  movies:  1 created, 2 updated, 1 unchanged" in out
    assert "  genres:  2 created, 0 updated, 5 unchanged" in out
    assert "  users:   1 created, 0 updated, 2 unchanged" in out
    assert "  ratings: 1 created, 1 updated, 2 unchanged" in out
    after = {movie.movielens_id: movie for movie in Movie.objects.all()}
    assert after[1].updated_at == before[1].updated_at
    assert after[2].updated_at > before[2].updated_at  # a genre was added
    assert [genre.name for genre in after[2].genres.order_by("name")] == ["Action", "Crime", "Drama", "Thriller"]
    assert (after[3].title, after[3].year, after[3].tmdb_id) == ("The Casino", 1996, 525)
    assert after[3].updated_at > before[3].updated_at
    assert after[4].title == "Sabrina"
    changed = Rating.objects.get(user__username="movielens-1", movie__movielens_id=2)
    assert (changed.score, changed.updated_at) == (Decimal("4.5"), datetime.fromtimestamp(1100000000, tz=UTC))
    unchanged = Rating.objects.get(user__username="movielens-1", movie__movielens_id=1)
    assert unchanged.updated_at == rating_before[("movielens-1", 1)].updated_at
    # Ratings missing from the newer release stay: it may be a sample, not a list of deletions.
    assert Rating.objects.filter(user__username="movielens-2", movie__movielens_id=3).exists()
    assert Movie.objects.get(movielens_id=2).ratings_count == 1
    assert User.objects.get(username="movielens-1").ratings_sum == Decimal("8.5")


def test_an_update_never_moves_the_first_rating_time_later(tmp_path):
    run_import(write_release(tmp_path / "old", movies=MOVIES, ratings="1,1,4.0,1000000000"))

    run_import(write_release(tmp_path / "new", movies=MOVIES, ratings="1,1,2.0,1100000000"))

    rating = Rating.objects.get()
    assert rating.score == Decimal("2.0")
    assert rating.rated_at == datetime.fromtimestamp(1000000000, tz=UTC)
    assert rating.updated_at == datetime.fromtimestamp(1100000000, tz=UTC)


def test_a_genre_removed_from_a_movie_is_removed_and_the_movie_updated(tmp_path):
    run_import(write_release(tmp_path / "old", movies="1,Heat (1995),Action|Crime"))
    before = Movie.objects.get().updated_at

    out, _ = run_import(write_release(tmp_path / "new", movies="1,Heat (1995),Crime"))

    movie = Movie.objects.get()
    assert [genre.name for genre in movie.genres.all()] == ["Crime"]
    assert movie.updated_at > before
    assert "  movies:  0 created, 1 updated, 0 unchanged" in out


def test_imdb_ids_can_move_between_movies_of_a_newer_release(tmp_path):
    movies = "1,Heat (1995),Crime\n2,Casino (1995),Crime"
    run_import(write_release(tmp_path / "old", movies=movies, links="1,0113277,949\n2,0112641,524"))

    _, err = run_import(write_release(tmp_path / "new", movies=movies, links="1,0112641,524\n2,0113277,949"))

    assert err == ""
    assert dict(Movie.objects.values_list("movielens_id", "imdb_id")) == {1: "tt0112641", 2: "tt0113277"}


def test_a_movie_without_a_links_row_keeps_its_ids(tmp_path):
    run_import(write_release(tmp_path / "old", movies="1,Heat (1995),Crime", links="1,0113277,949"))

    run_import(write_release(tmp_path / "new", movies="1,Heat (1995),Crime"))

    assert Movie.objects.values_list("imdb_id", "tmdb_id").get() == ("tt0113277", 949)


def test_a_link_to_an_imdb_id_kept_by_a_movie_whose_own_link_was_skipped_is_skipped_too(tmp_path):
    movies = "1,Heat (1995),Crime\n2,Casino (1995),Crime"
    run_import(write_release(tmp_path / "old", movies=movies, links="1,0113277,949"))
    staff_movie = Movie.objects.create(title="Nixon", imdb_id="tt0113987")

    _, err = run_import(write_release(tmp_path / "new", movies=movies, links="1,0113987,\n2,0113277,"))

    heat = Movie.objects.get(movielens_id=1)
    assert err.splitlines() == [
        f"skipped links.csv line 2: IMDb id tt0113987 already belongs to another movie (id {staff_movie.pk})",
        f"skipped links.csv line 3: IMDb id tt0113277 already belongs to another movie (id {heat.pk})",
    ]
    assert dict(Movie.objects.filter(movielens_id__isnull=False).values_list("movielens_id", "imdb_id")) == {
        1: "tt0113277",
        2: None,
    }


def test_an_existing_imported_account_is_reused_whatever_its_case(tmp_path):
    existing = UserFactory.create(username="MovieLens-1")
    existing.set_unusable_password()  # as the importer creates them (a usable one: test_import_ownership.py)
    existing.save()

    out, _ = run_import(write_release(tmp_path, movies=MOVIES, ratings="1,1,4.0,964982703"))

    assert Rating.objects.get().user == existing
    assert "  users:   0 created, 0 updated, 1 unchanged" in out


def test_reviews_written_on_imported_ratings_survive_a_reimport(tmp_path):
    release = write_release(tmp_path, movies=MOVIES, ratings="1,1,4.0,964982703")
    run_import(release)
    Rating.objects.update(review="Still holds up.")

    run_import(release)

    assert Rating.objects.get().review == "Still holds up."


def test_statistics_that_drifted_are_corrected_by_a_reimport(tmp_path):
    release = write_release(tmp_path, movies=MOVIES, ratings=RATINGS)
    run_import(release)
    Movie.objects.filter(movielens_id=1).update(ratings_count=7, ratings_sum=30)

    out, _ = run_import(release)

    assert Movie.objects.get(movielens_id=1).ratings_count == 2
    assert "  statistics recomputed: 1 movies and 0 users changed" in out
    assert "Nothing changed" not in out
