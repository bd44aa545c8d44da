"""ISBN-10 check digit; typed, doctest."""

ORIGINAL = r'''"""Book numbers."""


def is_isbn10(code: str) -> bool:
    """Whether `code` (hyphens allowed) is a valid ISBN-10.

    >>> is_isbn10("0-306-40615-2")
    True
    >>> is_isbn10("0306406153")
    False
    """
    chars = code.replace("-", "")
    if len(chars) != 10 or not chars[:9].isdigit():
        return False
    if not (chars[9].isdigit() or chars[9] == "X"):
        return False
    digits = [int(c) for c in chars[:9]] + [10 if chars[9] == "X" else int(chars[9])]
    return sum((10 - i) * d for i, d in enumerate(digits)) % 11 == 0
'''

REFACTOR = r'''"""Book numbers."""


def is_isbn10(code: str) -> bool:
    """Whether `code` (hyphens allowed) is a valid ISBN-10.

    >>> is_isbn10("0-306-40615-2")
    True
    >>> is_isbn10("0306406153")
    False
    """
    chars = code.replace("-", "")
    if len(chars) != 10 or not chars[:9].isdigit():
        return False
    last = chars[9]
    if last == "X":
        check = 10
    elif last.isdigit():
        check = int(last)
    else:
        return False
    total = sum((10 - i) * int(c) for i, c in enumerate(chars[:9])) + check
    return total % 11 == 0
'''

BUG = ("% 11 == 0", "% 10 == 0")

TESTS = r"""from main import is_isbn10


def test_short():
    assert not is_isbn10("123")
"""

DIFFERS = [("is_isbn10", {"code": "0-306-40615-2"})]
