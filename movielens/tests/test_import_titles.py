"""The title, year and genre rules of SPEC section 9, as the parser applies them."""

import pytest

from movielens.parsing import RowError, parse_genres, parse_title


@pytest.mark.parametrize(
    ("raw", "title", "year"),
    [
        ("Usual Suspects, The (1995)", "The Usual Suspects", 1995),
        (
            "City of Lost Children, The (Cité des enfants perdus, La) (1995)",
            "The City of Lost Children (Cité des enfants perdus, La)",
            1995,
        ),
        ("Misérables, Les (1995)", "Les Misérables", 1995),
        ("Cry, the Beloved Country (1995)", "Cry, the Beloved Country", 1995),
        ("Fawlty Towers (1975-1979)", "Fawlty Towers", 1975),
        ("Big Bang Theory, The (2007-)", "The Big Bang Theory", 2007),
        ("Enfer, L' (1994)", "L'Enfer", 1994),
        ("Avventura, L' (Adventure, The) (1960)", "L'Avventura (Adventure, The)", 1960),
        (
            "Good, the Bad and the Ugly, The (Buono, il brutto, il cattivo, Il) (1966)",
            "The Good, the Bad and the Ugly (Buono, il brutto, il cattivo, Il)",
            1966,
        ),
        ("Boot, Das (Boat, The) (1981)", "Das Boot (Boat, The)", 1981),
        ("Quatrilho, O (1995)", "O Quatrilho", 1995),
        ("Seven (a.k.a. Se7en) (1995)", "Seven (a.k.a. Se7en)", 1995),
        ("(500) Days of Summer (2009)", "(500) Days of Summer", 2009),
        ("Rocky VI (1986) ", "Rocky VI", 1986),
        ("Stranger Things", "Stranger Things", None),
        ("Hyena Road, The", "The Hyena Road", None),
        ("1492: Conquest of Paradise (1992)", "1492: Conquest of Paradise", 1992),
    ],
)
def test_titles_and_years_follow_the_movielens_rules(raw, title, year):
    assert parse_title(raw) == (title, year)


def test_a_title_that_is_only_a_year_is_malformed():
    with pytest.raises(RowError, match="title is missing"):
        parse_title("(1995)")


def test_a_title_longer_than_the_column_is_malformed():
    with pytest.raises(RowError, match="longer than 500"):
        parse_title("x" * 501 + " (1995)")


@pytest.mark.parametrize("raw", ["Too Early (1869)", "Far Future (2500)"])
def test_a_year_the_catalogue_refuses_makes_the_row_malformed(raw):
    with pytest.raises(RowError, match="Give a year from 1870 to"):
        parse_title(raw)


def test_genres_split_on_bars_keep_their_spelling_and_appear_once():
    assert parse_genres("Sci-Fi|Film-Noir|sci-fi| IMAX ") == ("Sci-Fi", "Film-Noir", "IMAX")


def test_no_genres_listed_means_none():
    assert parse_genres("(no genres listed)") == ()


@pytest.mark.parametrize("raw", ["Drama|" + "x" * 65, "Drama|***"])
def test_a_genre_without_a_usable_name_is_malformed(raw):
    with pytest.raises(RowError, match="genre"):
        parse_genres(raw)
