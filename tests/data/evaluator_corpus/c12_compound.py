"""Compound interest; typed."""

ORIGINAL = r'''"""Interest."""


def compound(principal: float, rate: float, years: int) -> float:
    """The balance after `years` of yearly compounding at `rate`, rounded to cents."""
    if years < 0:
        raise ValueError("years must not be negative")
    return round(principal * (1 + rate) ** years, 2)
'''

REFACTOR = r'''"""Interest."""


def compound(principal: float, rate: float, years: int) -> float:
    """The balance after `years` of yearly compounding at `rate`, rounded to cents."""
    if years < 0:
        raise ValueError("years must not be negative")
    growth = (1 + rate) ** years
    return round(principal * growth, 2)
'''

BUG = ("years < 0", "years < 1")

TESTS = r"""from main import compound


def test_compound():
    assert compound(100.0, 0.1, 2) == 121.0
"""

DIFFERS = [("compound", {"principal": 100.0, "rate": 0.1, "years": 0})]
