"""Parse yes/no strings; untyped, doctest."""

ORIGINAL = r'''"""Flags from text."""

TRUE = {"yes", "y", "true", "1", "on"}
FALSE = {"no", "n", "false", "0", "off"}


def parse_bool(text):
    """True or False for the usual spellings; ValueError otherwise.

    >>> parse_bool(" Yes ")
    True
    >>> parse_bool("off")
    False
    """
    word = text.strip().lower()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise ValueError(f"not a yes or no: {text!r}")
'''

REFACTOR = r'''"""Flags from text."""

WORDS = {
    **dict.fromkeys(("yes", "y", "true", "1", "on"), True),
    **dict.fromkeys(("no", "n", "false", "0", "off"), False),
}


def parse_bool(text):
    """True or False for the usual spellings; ValueError otherwise.

    >>> parse_bool(" Yes ")
    True
    >>> parse_bool("off")
    False
    """
    word = text.strip().lower()
    if word not in WORDS:
        raise ValueError(f"not a yes or no: {text!r}")
    return WORDS[word]
'''

BUG = ('"off"}', '"of"}')

TESTS = r"""from main import parse_bool


def test_yes():
    assert parse_bool("y") is True
"""

DIFFERS = [("parse_bool", {"text": "off"})]
