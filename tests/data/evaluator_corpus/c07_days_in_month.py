"""Days in a month with leap years; untyped, no examples."""

ORIGINAL = r'''"""Calendar arithmetic."""


def is_leap(year):
    """Gregorian leap year."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year, month):
    """Days in `month` (1-12) of `year`."""
    if month == 2:
        return 29 if is_leap(year) else 28
    if month in (4, 6, 9, 11):
        return 30
    if 1 <= month <= 12:
        return 31
    raise ValueError("month must be 1-12")
'''

REFACTOR = r'''"""Calendar arithmetic."""

SHORT = (4, 6, 9, 11)


def is_leap(year):
    """Gregorian leap year."""
    if year % 400 == 0:
        return True
    return year % 4 == 0 and year % 100 != 0


def days_in_month(year, month):
    """Days in `month` (1-12) of `year`."""
    if month == 2:
        return 28 + is_leap(year)
    if month in SHORT:
        return 30
    if 1 <= month <= 12:
        return 31
    raise ValueError("month must be 1-12")
'''

BUG = ("year % 100 != 0", "year % 10 != 0")

TESTS = r"""from main import days_in_month


def test_days():
    assert days_in_month(2023, 1) == 31
    assert days_in_month(2023, 4) == 30
"""

DIFFERS = [("days_in_month", {"year": 2020, "month": 2}), ("is_leap", {"year": 2020})]
