"""Count vowels; untyped, `->` example."""

ORIGINAL = r'''"""Vowels."""


def count_vowels(text):
    """How many vowels the text has.

    count_vowels("Education") -> 5
    """
    return sum(1 for c in text.lower() if c in "aeiou")
'''

REFACTOR = r'''"""Vowels."""

VOWELS = "aeiou"


def count_vowels(text):
    """How many vowels the text has.

    count_vowels("Education") -> 5
    """
    lowered = text.lower()
    total = 0
    for c in lowered:
        if c in VOWELS:
            total += 1
    return total
'''

BUG = ('"aeiou"', '"aeio"')

TESTS = r"""from main import count_vowels


def test_count():
    assert count_vowels("xyz") == 0
    assert count_vowels("aE") == 2
"""

DIFFERS = [("count_vowels", {"text": "Education"})]
