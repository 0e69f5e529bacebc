"""Title comparison with section 9's articles, shared by the MovieLens loader and the ratings import."""

import pytest

from movies.titles import move_article, title_match_key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("The Usual Suspects", "Usual Suspects, The"),
        ("The Usual Suspects", "usual  SUSPECTS"),
        ("Les Misérables", "Misérables, Les"),
        ("L'Enfer", "Enfer"),
        ("L'Enfer", "Enfer, L'"),
        ("A Beautiful Mind", "Beautiful Mind"),
        ("Das Boot", "boot, das"),
    ],
)
def test_titles_that_differ_only_by_case_or_one_article_share_a_key(a, b):
    assert title_match_key(a) == title_match_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Heat", "Heath"),
        ("Cry, the Beloved Country", "Cry Beloved Country"),
        ("Theory", "Ory"),  # "The" is an article only as a whole word
        ("Anastasia", "Astasia"),
    ],
)
def test_other_titles_keep_distinct_keys(a, b):
    assert title_match_key(a) != title_match_key(b)


def test_a_title_that_is_only_an_article_keeps_it():
    assert title_match_key("The") == "the"
    assert title_match_key("A") != title_match_key("The")


def test_move_article_is_the_loaders_rule():
    assert move_article("Usual Suspects, The") == "The Usual Suspects"
    assert move_article("Enfer, L'") == "L'Enfer"
