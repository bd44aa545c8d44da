"""Run-length encoding; typed, doctest."""

ORIGINAL = r'''"""Compression."""


def run_length(text: str) -> str:
    """Each run of a character as its length and the character.

    >>> run_length("aaabcc")
    '3a1b2c'
    """
    if not text:
        return ""
    out = []
    current, count = text[0], 1
    for c in text[1:]:
        if c == current:
            count += 1
        else:
            out.append(f"{count}{current}")
            current, count = c, 1
    out.append(f"{count}{current}")
    return "".join(out)
'''

REFACTOR = r'''"""Compression."""

from itertools import groupby


def run_length(text: str) -> str:
    """Each run of a character as its length and the character.

    >>> run_length("aaabcc")
    '3a1b2c'
    """
    return "".join(f"{len(list(group))}{c}" for c, group in groupby(text))
'''

BUG = ("count += 1", "count += 2")

TESTS = r"""from main import run_length


def test_empty():
    assert run_length("") == ""
"""

DIFFERS = [("run_length", {"text": "aab"})]
