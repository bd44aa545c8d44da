"""Moving average; untyped, doctest."""

ORIGINAL = r'''"""Smoothing."""


def moving_average(values, window):
    """Means of each run of `window` consecutive values.

    >>> moving_average([1, 2, 3, 4], 2)
    [1.5, 2.5, 3.5]
    """
    if window < 1:
        raise ValueError("window must be positive")
    return [sum(values[i : i + window]) / window for i in range(len(values) - window + 1)]
'''

REFACTOR = r'''"""Smoothing."""


def moving_average(values, window):
    """Means of each run of `window` consecutive values.

    >>> moving_average([1, 2, 3, 4], 2)
    [1.5, 2.5, 3.5]
    """
    if window < 1:
        raise ValueError("window must be positive")
    count = len(values) - window + 1
    return [sum(values[start : start + window]) / window for start in range(count)]
'''

BUG = ("len(values) - window + 1", "len(values) - window - 1")

TESTS = r"""from main import moving_average


def test_short():
    assert moving_average([1], 2) == []
"""

DIFFERS = [("moving_average", {"values": [1, 2, 3, 4], "window": 2})]
