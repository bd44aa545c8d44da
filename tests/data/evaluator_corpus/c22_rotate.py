"""Rotate a list; typed."""

ORIGINAL = r'''"""Rotation."""


def rotate(items: list[int], steps: int) -> list[int]:
    """`items` rotated right by `steps` (negative: left)."""
    if not items:
        return []
    steps %= len(items)
    return items[-steps:] + items[:-steps]
'''

REFACTOR = r'''"""Rotation."""


def rotate(items: list[int], steps: int) -> list[int]:
    """`items` rotated right by `steps` (negative: left)."""
    if not items:
        return []
    cut = len(items) - steps % len(items)
    return items[cut:] + items[:cut]
'''

BUG = ("items[-steps:] + items[:-steps]", "items[steps:] + items[:-steps]")

TESTS = r"""from main import rotate


def test_rotate():
    assert rotate([1, 2, 3], 0) == [1, 2, 3]
"""

DIFFERS = [("rotate", {"items": [1, 2, 3], "steps": 1})]
