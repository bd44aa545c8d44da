"""Parse 'a=1;b=2'; typed, doctest."""

ORIGINAL = r'''"""Settings strings."""


def parse_kv(text: str) -> dict[str, str]:
    """Pairs separated by semicolons, keys and values by '='.

    >>> parse_kv("a=1;b=two")
    {'a': '1', 'b': 'two'}
    """
    result = {}
    for part in text.split(";"):
        if "=" in part:
            key, value = part.split("=", 1)
            result[key.strip()] = value.strip()
    return result
'''

REFACTOR = r'''"""Settings strings."""


def parse_kv(text: str) -> dict[str, str]:
    """Pairs separated by semicolons, keys and values by '='.

    >>> parse_kv("a=1;b=two")
    {'a': '1', 'b': 'two'}
    """
    pairs = (part.partition("=") for part in text.split(";"))
    return {key.strip(): value.strip() for key, sep, value in pairs if sep}
'''

BUG = ('split(";")', 'split(",")')

TESTS = r"""from main import parse_kv


def test_one():
    assert parse_kv("x = 5") == {"x": "5"}
"""

DIFFERS = [("parse_kv", {"text": "a=1;b=two"})]
