"""Mask a card number; typed, doctest."""

ORIGINAL = r'''"""Card display."""


def mask_card(number: str) -> str:
    """All but the last four digits hidden.

    >>> mask_card("4539148803436467")
    '************6467'
    """
    digits = "".join(c for c in number if c.isdigit())
    return "*" * (len(digits) - 4) + digits[-4:]
'''

REFACTOR = r'''"""Card display."""


def mask_card(number: str) -> str:
    """All but the last four digits hidden.

    >>> mask_card("4539148803436467")
    '************6467'
    """
    digits = [c for c in number if c.isdigit()]
    hidden = max(len(digits) - 4, 0)
    return "*" * hidden + "".join(digits[-4:])
'''

BUG = ("digits[-4:]", "digits[-3:]")

TESTS = r"""from main import mask_card


def test_short():
    assert mask_card("12") == "12"
"""

DIFFERS = [("mask_card", {"number": "4539148803436467"})]
