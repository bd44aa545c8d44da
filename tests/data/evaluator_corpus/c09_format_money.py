"""Cents to a money string; typed, doctest."""

ORIGINAL = r'''"""Money formatting."""


def format_money(cents: int) -> str:
    """Cents as dollars with thousands separators.

    >>> format_money(123456)
    '$1,234.56'
    >>> format_money(-5)
    '-$0.05'
    """
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    return f"{sign}${dollars:,}.{rest:02d}"
'''

REFACTOR = r'''"""Money formatting."""


def format_money(cents: int) -> str:
    """Cents as dollars with thousands separators.

    >>> format_money(123456)
    '$1,234.56'
    >>> format_money(-5)
    '-$0.05'
    """
    amount = abs(cents)
    text = f"${amount // 100:,}.{amount % 100:02d}"
    return "-" + text if cents < 0 else text
'''

BUG = ("cents < 0", "cents < 1")

TESTS = r"""from main import format_money


def test_format():
    assert format_money(100) == "$1.00"
"""

DIFFERS = [("format_money", {"cents": 0})]
