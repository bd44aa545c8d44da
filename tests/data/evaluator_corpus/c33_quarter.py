"""Quarter of a month; untyped, `==` example."""

ORIGINAL = r'''"""Fiscal quarters."""


def quarter(month):
    """The quarter (1-4) a month (1-12) falls in.

    quarter(11) == 4
    """
    if not 1 <= month <= 12:
        raise ValueError("month must be 1-12")
    return (month - 1) // 3 + 1
'''

REFACTOR = r'''"""Fiscal quarters."""


def quarter(month):
    """The quarter (1-4) a month (1-12) falls in.

    quarter(11) == 4
    """
    if month < 1 or month > 12:
        raise ValueError("month must be 1-12")
    return 1 + (month - 1) // 3
'''

BUG = ("(month - 1) // 3", "(month - 1) // 4")

TESTS = r"""from main import quarter


def test_first():
    assert quarter(1) == 1
"""

DIFFERS = [("quarter", {"month": 11})]
