"""Age on a date; typed, doctest."""

ORIGINAL = r'''"""Ages."""

from datetime import date


def age_on(birth: str, today: str) -> int:
    """Full years from ISO date `birth` to ISO date `today`.

    >>> age_on("2000-05-20", "2024-05-20")
    24
    >>> age_on("2000-05-20", "2024-05-19")
    23
    """
    born, now = date.fromisoformat(birth), date.fromisoformat(today)
    years = now.year - born.year
    if (now.month, now.day) < (born.month, born.day):
        years -= 1
    return years
'''

REFACTOR = r'''"""Ages."""

from datetime import date


def age_on(birth: str, today: str) -> int:
    """Full years from ISO date `birth` to ISO date `today`.

    >>> age_on("2000-05-20", "2024-05-20")
    24
    >>> age_on("2000-05-20", "2024-05-19")
    23
    """
    born = date.fromisoformat(birth)
    now = date.fromisoformat(today)
    before_birthday = (now.month, now.day) < (born.month, born.day)
    return now.year - born.year - int(before_birthday)
'''

BUG = ("(now.month, now.day) < (born", "(now.month, now.day) <= (born")

TESTS = r"""from main import age_on


def test_age():
    assert age_on("1990-01-01", "2020-06-01") == 30
"""

DIFFERS = [("age_on", {"birth": "2000-05-20", "today": "2024-05-20"})]
