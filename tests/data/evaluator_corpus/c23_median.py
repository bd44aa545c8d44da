"""Median; typed."""

ORIGINAL = r'''"""Statistics."""


def median(values: list[float]) -> float:
    """The middle value (the mean of the two middle ones for an even count)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2
'''

REFACTOR = r'''"""Statistics."""


def median(values: list[float]) -> float:
    """The middle value (the mean of the two middle ones for an even count)."""
    if len(values) == 0:
        raise ValueError("no values")
    ordered = sorted(values)
    mid, odd = divmod(len(ordered), 2)
    return ordered[mid] if odd else (ordered[mid - 1] + ordered[mid]) / 2
'''

BUG = ("ordered[mid - 1]", "ordered[mid + 1]")

TESTS = r"""from main import median


def test_odd():
    assert median([3.0, 1.0, 2.0]) == 2.0
"""

DIFFERS = [("median", {"values": [1.0, 2.0, 3.0, 4.0]})]
