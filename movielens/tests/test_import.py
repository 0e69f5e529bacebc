"""`manage.py import_movielens`: what a release becomes, bad rows, statistics and the transaction."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError

import config.cache
from movielens import importer
from movielens.tests.test_import_support import both_loaders, run_import, write_release  # noqa: F401
from movies.models import Genre, Movie
from movies.tests.factories import GenreFactory
from ratings.models import Rating
from users.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_loaders")]


MOVIES = """
    1,"Usual Suspects, The (1995)",Crime|Mystery|Thriller
    2,"City of Lost Children, The (Cité des enfants perdus, La) (1995)",Adventure|Drama|Fantasy|Mystery|Sci-Fi
    3,"Misérables, Les (1995)",Drama|War
    4,"Cry, the Beloved Country (1995)",Drama
    5,Fawlty Towers (1975-1979),Comedy
    6,"Enfer, L' (1994)",Drama
    7,Stranger Things,(no genres listed)
    8,"Crimson Rivers, The (Rivières pourpres, Les) (2000)",Crime|Drama|Mystery|Thriller
"""
LINKS = """
    1,0114814,629
    2,112682,902
    5,0072500,
"""


def movie(movielens_id: int) -> Movie:
    return Movie.objects.get(movielens_id=movielens_id)


def test_movies_get_their_titles_years_genres_and_links(tmp_path):
    run_import(write_release(tmp_path, movies=MOVIES, links=LINKS))

    titles = dict(Movie.objects.values_list("movielens_id", "title"))
    assert titles == {
        1: "The Usual Suspects",
        2: "The City of Lost Children (Cité des enfants perdus, La)",
        3: "Les Misérables",
        4: "Cry, the Beloved Country",
        5: "Fawlty Towers",
        6: "L'Enfer",
        7: "Stranger Things",
        8: "The Crimson Rivers (Rivières pourpres, Les)",
    }
    assert dict(Movie.objects.values_list("movielens_id", "year")) == {
        1: 1995, 2: 1995, 3: 1995, 4: 1995, 5: 1975, 6: 1994, 7: None, 8: 2000
    }  # fmt: skip
    assert [genre.name for genre in movie(1).genres.order_by("name")] == ["Crime", "Mystery", "Thriller"]
    assert not movie(7).genres.exists()
    assert (movie(1).imdb_id, movie(1).tmdb_id) == ("tt0114814", 629)
    assert (movie(2).imdb_id, movie(2).tmdb_id) == ("tt0112682", 902)
    assert (movie(5).imdb_id, movie(5).tmdb_id) == ("tt0072500", None)
    assert (movie(3).imdb_id, movie(3).tmdb_id) == (None, None)


def test_duplicate_titles_are_different_movies(tmp_path):
    run_import(write_release(tmp_path, movies="1,Hamlet (2000),Drama\n2,Hamlet (2000),Drama"))

    assert Movie.objects.filter(title="Hamlet", year=2000).count() == 2


def test_genres_are_created_as_movielens_spells_them_and_existing_ones_reused(tmp_path):
    existing = GenreFactory(name="sci-fi", slug="sci-fi")
    run_import(write_release(tmp_path, movies="1,Alien (1979),Horror|Sci-Fi\n2,Heat (1995),Film-Noir"))

    assert dict(Genre.objects.values_list("name", "slug")) == {
        "Film-Noir": "film-noir",
        "Horror": "horror",
        "sci-fi": "sci-fi",
    }
    assert existing in movie(1).genres.all()


def test_users_are_named_after_their_movielens_id_and_cannot_log_in(tmp_path):
    run_import(write_release(tmp_path, movies="1,Heat (1995),Drama", ratings="7,1,4.0,1260759144"))

    user = User.objects.get()
    assert user.username == "movielens-7"
    assert user.email == ""
    assert not user.has_usable_password()
    assert user.date_joined == datetime(2009, 12, 14, 2, 52, 24, tzinfo=UTC)


def test_rating_timestamps_become_rated_at_and_updated_at(tmp_path):
    run_import(write_release(tmp_path, movies="1,Heat (1995),Drama", ratings="7,1,4.5,1260759144"))

    rating = Rating.objects.get()
    assert rating.score == Decimal("4.5")
    assert rating.review == ""
    assert rating.rated_at == rating.updated_at == datetime(2009, 12, 14, 2, 52, 24, tzinfo=UTC)


def test_the_later_row_of_a_repeated_user_and_movie_wins(tmp_path):
    out, _ = run_import(
        write_release(
            tmp_path,
            movies="1,Heat (1995),Drama",
            ratings="7,1,2.0,1000000000\n7,1,4.5,900000000",
        )
    )

    rating = Rating.objects.get()
    assert rating.score == Decimal("4.5")
    assert rating.rated_at == datetime.fromtimestamp(900000000, tz=UTC)
    assert "1 repeated ratings replaced by a later row" in out


def test_every_bad_row_is_reported_with_its_file_line_and_reason_and_skipped(tmp_path):
    release = write_release(
        tmp_path,
        movies="""
            1,Heat (1995),Drama
            abc,Casino (1995),Crime
            3,Sabrina (1995)
            1,Heat again (1995),Drama
            5,(1995),Drama
            6,Nixon (1995),Drama
            7,Balto (1995),Animation
        """,
        links="""
            1,0113277,949
            99,0114576,1
            6,tt-12,
            7,0113277,
            6,0112760,x
        """,
        ratings="""
            1,1,4.0,964982703
            1,99,4.0,964982703
            1,1,5.5,964982703
            2,1,4.25,964982703
            3,1,abc,964982703
            4,1,3.0,yesterday
            ,1,3.0,964982703
            5,1,3.0,964982703,extra
            6,6,0,964982703
        """,
    )

    out, err = run_import(release)

    assert err.splitlines() == [
        "skipped movies.csv line 3: movieId 'abc' is not a positive whole number",
        "skipped movies.csv line 4: expected 3 fields, found 2",
        "skipped movies.csv line 5: movieId 1 is already on line 2",
        "skipped movies.csv line 6: title is missing",
        "skipped links.csv line 3: movieId 99 is not a movie of movies.csv",
        "skipped links.csv line 4: imdbId 'tt-12' is not an IMDb number",
        "skipped links.csv line 5: IMDb id tt0113277 is already taken by movieId 1 (line 2)",
        "skipped links.csv line 6: tmdbId 'x' is not a positive whole number",
        "skipped ratings.csv line 3: movieId 99 is not a movie of movies.csv",
        "skipped ratings.csv line 4: rating 5.5 is off the scale (0.5 to 5.0 in half-star steps)",
        "skipped ratings.csv line 5: rating 4.25 is off the scale (0.5 to 5.0 in half-star steps)",
        "skipped ratings.csv line 6: rating 'abc' is not a number",
        "skipped ratings.csv line 7: timestamp 'yesterday' is not a Unix time (whole seconds since 1970, UTC)",
        "skipped ratings.csv line 8: userId is missing",
        "skipped ratings.csv line 9: expected 4 fields, found 5",
        "skipped ratings.csv line 10: rating 0 is off the scale (0.5 to 5.0 in half-star steps)",
    ]
    assert (
        "bad rows skipped: 16 (IMDb id already taken: 1, bad timestamp: 1, duplicate movie id: 1, "
        "missing or malformed field: 8, score off the scale: 3, unknown movie: 2)"
    ) in out
    assert list(Movie.objects.order_by("movielens_id").values_list("movielens_id", flat=True)) == [1, 6, 7]
    assert list(Rating.objects.values_list("user__username", "score")) == [("movielens-1", Decimal("4.0"))]


def test_a_user_who_appears_only_in_bad_rows_gets_no_account(tmp_path):
    run_import(
        write_release(
            tmp_path,
            movies="1,Heat (1995),Drama",
            ratings="1,1,4.0,964982703\n2,1,9.0,964982703\n2,5,4.0,964982703",
        )
    )

    assert list(User.objects.values_list("username", flat=True)) == ["movielens-1"]


def test_a_link_to_an_imdb_id_another_movie_holds_is_skipped(tmp_path):
    curated = Movie.objects.create(title="Heat", year=1995, imdb_id="tt0113277")

    _, err = run_import(write_release(tmp_path, movies="1,Heat (1995),Drama", links="1,0113277,949"))

    assert (
        err.strip() == f"skipped links.csv line 2: IMDb id tt0113277 already belongs to another movie (id {curated.pk})"
    )
    assert movie(1).imdb_id is None


def test_a_header_without_the_expected_columns_skips_the_file(tmp_path):
    release = write_release(tmp_path, movies="1,Heat (1995),Drama")
    (release / "ratings.csv").write_text("user,movie,score\n1,1,4.0\n", encoding="utf-8")

    out, err = run_import(release)

    assert err.strip() == (
        "skipped ratings.csv line 1: expected the columns userId,movieId,rating,timestamp, found user,movie,score"
    )
    assert "bad header (file skipped): 1" in out
    assert not Rating.objects.exists()


def test_columns_are_found_by_their_header_names(tmp_path):
    release = write_release(tmp_path, movies="1,Heat (1995),Drama")
    (release / "ratings.csv").write_text("timestamp,rating,movieId,userId\n964982703,3.5,1,4\n", encoding="utf-8")

    run_import(release)

    assert list(Rating.objects.values_list("user__username", "score")) == [("movielens-4", Decimal("3.5"))]


def test_statistics_are_exact_after_the_import(tmp_path):
    rows = [
        (1, 1, "4.0"), (1, 2, "3.5"), (2, 1, "5.0"), (2, 2, "0.5"), (3, 1, "2.5"), (3, 1, "3.0"), (4, 2, "4.5"),
    ]  # fmt: skip
    ratings = "\n".join(
        f"{user},{movie_id},{score},{1_000_000_000 + n}" for n, (user, movie_id, score) in enumerate(rows)
    )
    run_import(
        write_release(
            tmp_path, movies="1,Heat (1995),Drama\n2,Casino (1995),Crime\n3,Nixon (1995),Drama", ratings=ratings
        )
    )

    latest = {(user, movie_id): Decimal(score) for user, movie_id, score in rows}  # later rows overwrite earlier ones
    for movielens_id in (1, 2, 3):
        scores = [score for (_, movie_id), score in latest.items() if movie_id == movielens_id]
        assert (movie(movielens_id).ratings_count, movie(movielens_id).ratings_sum) == (len(scores), sum(scores))
    for user_id in (1, 2, 3, 4):
        scores = [score for (user, _), score in latest.items() if user == user_id]
        user = User.objects.get(username=f"movielens-{user_id}")
        assert (user.ratings_count, user.ratings_sum) == (len(scores), sum(scores))
    assert movie(1).average_rating == Decimal("4.00")  # (4.0 + 5.0 + 3.0) / 3


def test_a_crash_midway_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    def crash():
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "statistics_recompute", crash)
    release = write_release(tmp_path, movies="1,Heat (1995),Drama", links="1,0113277,949", ratings="1,1,4.0,964982703")

    with pytest.raises(RuntimeError, match="disk full"):
        run_import(release)

    assert (Movie.objects.count(), Genre.objects.count(), User.objects.count(), Rating.objects.count()) == (0, 0, 0, 0)


def test_the_import_drops_every_cached_response_once_it_commits(
    tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    invalidated = []
    monkeypatch.setattr(config.cache, "invalidate", lambda *tags: invalidated.append(tags))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run_import(write_release(tmp_path, movies="1,Heat (1995),Drama"))
        assert invalidated == []
    for callback in callbacks:
        callback()

    # Everything cached is dropped; the rebuild of the similar-movie model that follows the import
    # (in-process in the tests) drops the similar lists once more when it swaps the model in.
    assert invalidated == [(config.cache.ALL,), (config.cache.SIMILAR_MOVIES,)]


def test_the_summary_counts_what_was_created(tmp_path):
    out, err = run_import(
        write_release(tmp_path, movies=MOVIES, links=LINKS, ratings="1,1,4.0,964982703\n2,1,3.0,964982703")
    )

    assert err == ""
    lines = out.splitlines()
    assert lines[0] == f"Imported {tmp_path}"
    assert lines[1:7] == [
        "  movies:  8 created, 0 updated, 0 unchanged",
        "  genres:  9 created, 0 updated, 0 unchanged",
        "  users:   2 created, 0 updated, 0 unchanged",
        "  ratings: 2 created, 0 updated, 0 unchanged",
        "  statistics recomputed: 1 movies and 2 users changed",
        "  bad rows skipped: none",
    ]
    assert lines[-2].startswith("  Done in ")
    assert lines[-1] == "Similar movies: model rebuilt."  # the import's rebuild ran in-process


def test_missing_links_and_ratings_files_are_reported_but_not_fatal(tmp_path):
    out, _ = run_import(write_release(tmp_path, movies="1,Heat (1995),Drama"))

    assert "links.csv: not in the release, nothing imported from it" in out
    assert "ratings.csv: not in the release, nothing imported from it" in out
    assert Movie.objects.count() == 1


def test_tags_are_ignored_and_the_summary_says_so(tmp_path):
    out, _ = run_import(write_release(tmp_path, movies="1,Heat (1995),Drama", tags="1,1,heist,964982703"))

    assert "tags.csv: ignored (this service has no tags)" in out


def test_a_release_without_movies_is_an_error(tmp_path):
    write_release(tmp_path, ratings="1,1,4.0,964982703")

    with pytest.raises(CommandError, match=r"no movies\.csv in .* or its subfolders"):
        run_import(tmp_path)


def test_a_release_whose_movie_rows_are_all_bad_is_an_error_and_writes_nothing(tmp_path):
    write_release(tmp_path, movies="x,Heat (1995),Drama\n2,(1995),Drama", ratings="1,2,4.0,964982703")

    with pytest.raises(CommandError, match=r"movies\.csv in .* has no usable row: nothing to import"):
        run_import(tmp_path)

    assert not Movie.objects.exists()
    assert not User.objects.exists()


def test_quoted_titles_with_commas_quotes_and_accents_survive(tmp_path):
    run_import(
        write_release(
            tmp_path,
            movies='1,"Crouching Tiger, Hidden Dragon (Wo hu cang long) (2000)",Action\n'
            '2,"""Great Performances"" Cats (1998)",Musical\n'
            "3,Amélie (2001),Comedy|Romance",
        )
    )

    assert dict(Movie.objects.values_list("movielens_id", "title")) == {
        1: "Crouching Tiger, Hidden Dragon (Wo hu cang long)",
        2: '"Great Performances" Cats',
        3: "Amélie",
    }


def test_uncommon_but_valid_spellings_and_blank_lines_are_accepted(tmp_path):
    _, err = run_import(
        write_release(
            tmp_path,
            movies="1,Heat (1995),Crime\n\n2,Casino (1995),Crime",
            links="1,tt0113277,949",
            ratings="1,1,4.50,964982703\n1,2,5,964982931",
        )
    )

    assert err == ""
    assert movie(1).imdb_id == "tt0113277"
    assert sorted(Rating.objects.values_list("score", flat=True)) == [Decimal("4.5"), Decimal("5.0")]


def test_missing_fields_are_named(tmp_path):
    _, err = run_import(
        write_release(
            tmp_path,
            movies="1,Heat (1995),Crime\n2,Casino (1995),Crime",
            links="1,,949\n2,0112641,524\n2,0112641,524",
            ratings="1,1,,964982703\n1,1,4.0,",
        )
    )

    assert err.splitlines() == [
        "skipped links.csv line 2: imdbId is missing",
        "skipped links.csv line 4: movieId 2 already has a link on line 3",
        "skipped ratings.csv line 2: rating is missing",
        "skipped ratings.csv line 3: timestamp is missing",
    ]


def test_genre_names_that_share_a_slug_are_one_genre(tmp_path):
    run_import(write_release(tmp_path, movies="1,Heat (1995),Sci Fi\n2,Casino (1995),Sci-Fi"))

    assert list(Genre.objects.values_list("name", "slug")) == [("Sci Fi", "sci-fi")]
    assert movie(2).genres.get().name == "Sci Fi"
