"""Compare version strings; untyped, `==>` examples."""

ORIGINAL = r'''"""Versions."""


def compare_versions(a, b):
    """-1, 0 or 1 as version `a` is older than, the same as, or newer than `b`.

    compare_versions("1.10", "1.9") ==> 1
    compare_versions("2.0", "2.0.0") ==> 0
    """
    left = [int(part) for part in a.split(".")]
    right = [int(part) for part in b.split(".")]
    while len(left) < len(right):
        left.append(0)
    while len(right) < len(left):
        right.append(0)
    if left < right:
        return -1
    return 1 if left > right else 0
'''

REFACTOR = r'''"""Versions."""

from itertools import zip_longest


def compare_versions(a, b):
    """-1, 0 or 1 as version `a` is older than, the same as, or newer than `b`.

    compare_versions("1.10", "1.9") ==> 1
    compare_versions("2.0", "2.0.0") ==> 0
    """
    left = [int(part) for part in a.split(".")]
    right = [int(part) for part in b.split(".")]
    for x, y in zip_longest(left, right, fillvalue=0):
        if x != y:
            return -1 if x < y else 1
    return 0
'''

BUG = ("left.append(0)", "left.append(1)")

TESTS = r"""from main import compare_versions


def test_compare():
    assert compare_versions("1.0", "1.1") == -1
"""

DIFFERS = [("compare_versions", {"a": "2", "b": "2.0.0"})]
