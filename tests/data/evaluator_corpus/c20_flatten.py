"""Flatten nested lists; untyped, doctest."""

ORIGINAL = r'''"""Nested lists."""


def flatten(nested):
    """Every non-list item, depth first.

    >>> flatten([[1, [2, 3]], 4])
    [1, 2, 3, 4]
    """
    result = []
    for item in nested:
        if isinstance(item, list):
            result.extend(flatten(item))
        else:
            result.append(item)
    return result
'''

REFACTOR = r'''"""Nested lists."""


def _walk(nested, out):
    for item in nested:
        if isinstance(item, list):
            _walk(item, out)
        else:
            out.append(item)


def flatten(nested):
    """Every non-list item, depth first.

    >>> flatten([[1, [2, 3]], 4])
    [1, 2, 3, 4]
    """
    out = []
    _walk(nested, out)
    return out
'''

BUG = ("result.extend(flatten(item))", "result.append(flatten(item))")

TESTS = r"""from main import flatten


def test_flat():
    assert flatten([1, 2]) == [1, 2]
"""

DIFFERS = [("flatten", {"nested": [[1, [2, 3]], 4]})]
