"""How titles are spelled and compared (SPEC section 9): one source of truth for the articles.

MovieLens moves a title's article behind it (`Usual Suspects, The`); the catalogue stores it in
front (`The Usual Suspects`). Both the MovieLens loader and the ratings import match titles with
these rules, so they live here, below both of them in the import layers.
"""

# Articles MovieLens moves behind the main title ("Usual Suspects, The").
ARTICLES = (
    "The", "A", "An", "Les", "La", "Le", "L'", "Il", "El", "Los", "Las",
    "Das", "Der", "Die", "Den", "Det", "De", "O", "Un", "Une",
)  # fmt: skip

_WORD_ARTICLES = frozenset(article.lower() for article in ARTICLES if not article.endswith("'"))
_ELIDED_ARTICLES = tuple(article.lower() for article in ARTICLES if article.endswith("'"))


def move_article(title: str) -> str:
    """Put a trailing article of the main title back in front: `Usual Suspects, The` -> `The Usual Suspects`.

    The main title ends where a parenthesised alternate title starts; alternate titles keep
    their own trailing articles. A moved `L'` joins the next word with no space.
    """
    cut = title.find(" (")
    main, alternate = (title, "") if cut < 0 else (title[:cut], title[cut:])
    for article in ARTICLES:
        if main.endswith(", " + article):
            rest = main[: -len(article) - 2]
            main = article + rest if article.endswith("'") else f"{article} {rest}"
            break
    return main + alternate


def title_match_key(title: str) -> str:
    """The form two titles are compared in: case-insensitive, one leading or trailing article ignored.

    `The Usual Suspects`, `Usual Suspects, The` and `usual suspects` share a key; so do
    `L'Enfer` and `Enfer, L'`. Whitespace runs count as one space. A title that is only an
    article (`The`) keeps it, so it still has a key of its own. Set lookups, not a loop over
    the articles: the import computes it for every movie of the years a file names.
    """
    key = " ".join(title.split()).casefold()
    rest, comma, last = key.rpartition(", ")
    if comma and rest and (last in _WORD_ARTICLES or last in _ELIDED_ARTICLES):
        return rest
    first, space, rest = key.partition(" ")
    if space and first in _WORD_ARTICLES:
        return rest
    for article in _ELIDED_ARTICLES:
        if key.startswith(article) and len(key) > len(article):
            return key[len(article) :].lstrip()
    return key
