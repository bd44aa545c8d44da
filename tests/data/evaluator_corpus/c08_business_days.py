"""Add business days to an ISO date; typed, `==>` example."""

ORIGINAL = r'''"""Working days."""

from datetime import date, timedelta


def add_business_days(start: str, days: int) -> str:
    """The ISO date `days` working days (Monday to Friday) after `start`.

    add_business_days("2024-03-08", 1) ==> "2024-03-11"
    """
    current = date.fromisoformat(start)
    left = days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current.isoformat()
'''

REFACTOR = r'''"""Working days."""

from datetime import date, timedelta

ONE_DAY = timedelta(days=1)


def add_business_days(start: str, days: int) -> str:
    """The ISO date `days` working days (Monday to Friday) after `start`.

    add_business_days("2024-03-08", 1) ==> "2024-03-11"
    """
    current = date.fromisoformat(start)
    counted = 0
    while counted < days:
        current = current + ONE_DAY
        counted += current.weekday() < 5
    return current.isoformat()
'''

BUG = ("weekday() < 5", "weekday() <= 5")

TESTS = r"""from main import add_business_days


def test_midweek():
    assert add_business_days("2024-03-05", 1) == "2024-03-06"
"""

DIFFERS = [("add_business_days", {"start": "2024-03-08", "days": 1})]
