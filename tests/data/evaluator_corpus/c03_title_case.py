"""Title case keeping small words; untyped, doctest."""

ORIGINAL = r'''"""Headline casing."""

SMALL = {"a", "an", "the", "of", "and", "in"}


def title_case(text):
    """Capitalize each word but the small ones (except the first word).

    >>> title_case("the lord of the rings")
    'The Lord of the Rings'
    """
    words = text.lower().split()
    result = []
    for index, word in enumerate(words):
        if index > 0 and word in SMALL:
            result.append(word)
        else:
            result.append(word.capitalize())
    return " ".join(result)
'''

REFACTOR = r'''"""Headline casing."""

SMALL = {"a", "an", "the", "of", "and", "in"}


def title_case(text):
    """Capitalize each word but the small ones (except the first word).

    >>> title_case("the lord of the rings")
    'The Lord of the Rings'
    """
    words = text.lower().split()
    return " ".join(
        word if index and word in SMALL else word.capitalize()
        for index, word in enumerate(words)
    )
'''

BUG = ('"of"', '"on"')

TESTS = r"""from main import title_case


def test_title_case():
    assert title_case("war and peace") == "War and Peace"
"""

DIFFERS = [("title_case", {"text": "the lord of the rings"})]
