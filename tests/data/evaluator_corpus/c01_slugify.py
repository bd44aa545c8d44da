"""Text to URL slug; typed, doctest examples."""

ORIGINAL = r'''"""Slugs for URLs."""

import re


def slugify(text: str) -> str:
    """Lower-case words joined by hyphens.

    >>> slugify("Hello, World!")
    'hello-world'
    >>> slugify("  Many   spaces  ")
    'many-spaces'
    """
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words)
'''

REFACTOR = r'''"""Slugs for URLs."""

import re

WORD = re.compile(r"[a-z0-9]+")


def slugify(text: str) -> str:
    """Lower-case words joined by hyphens.

    >>> slugify("Hello, World!")
    'hello-world'
    >>> slugify("  Many   spaces  ")
    'many-spaces'
    """
    return "-".join(WORD.findall(text.lower()))
'''

BUG = ('"-".join', '"_".join')

TESTS = r"""from main import slugify


def test_slugify():
    assert slugify("Hello") == "hello"
    assert slugify("") == ""
"""

DIFFERS = [("slugify", {"text": "Hello, World!"})]
