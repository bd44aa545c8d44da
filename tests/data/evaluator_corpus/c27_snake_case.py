"""CamelCase to snake_case; untyped, doctest."""

ORIGINAL = r'''"""Identifiers."""

import re


def to_snake_case(name):
    """snake_case of a CamelCase or mixedCase name.

    >>> to_snake_case("HelloWorld")
    'hello_world'
    """
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
'''

REFACTOR = r'''"""Identifiers."""

import re

BOUNDARY = re.compile(r"(?<!^)(?=[A-Z])")


def to_snake_case(name):
    """snake_case of a CamelCase or mixedCase name.

    >>> to_snake_case("HelloWorld")
    'hello_world'
    """
    return BOUNDARY.sub("_", name).lower()
'''

BUG = ('"_", name', '"-", name')

TESTS = r"""from main import to_snake_case


def test_lower():
    assert to_snake_case("word") == "word"
"""

DIFFERS = [("to_snake_case", {"name": "HelloWorld"})]
