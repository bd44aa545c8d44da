"""Clamp; untyped."""

ORIGINAL = r'''"""Ranges."""


def clamp(value, low, high):
    """`value` limited to [low, high]."""
    if low > high:
        raise ValueError("empty range")
    return max(low, min(value, high))
'''

REFACTOR = r'''"""Ranges."""


def clamp(value, low, high):
    """`value` limited to [low, high]."""
    if low > high:
        raise ValueError("empty range")
    limited = min(value, high)
    return max(low, limited)
'''

BUG = ("max(low, min(value, high))", "max(low, max(value, high))")

TESTS = r"""from main import clamp


def test_inside():
    assert clamp(5, 0, 10) == 5
"""

DIFFERS = [("clamp", {"value": 5, "low": 0, "high": 10})]
