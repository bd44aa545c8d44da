"""Remove duplicates keeping order; untyped, no examples."""

ORIGINAL = r'''"""Lists."""


def dedupe(items):
    """The items without repeats, first occurrences kept in order."""
    seen = []
    result = []
    for item in items:
        if item not in seen:
            seen.append(item)
            result.append(item)
    return result
'''

REFACTOR = r'''"""Lists."""


def dedupe(items):
    """The items without repeats, first occurrences kept in order."""
    result = []
    for item in items:
        if item not in result:
            result.append(item)
    return result
'''

BUG = ("if item not in seen", "if item in seen")

TESTS = r"""from main import dedupe


def test_dedupe():
    assert dedupe([1, 2, 1, 3]) == [1, 2, 3]
"""

DIFFERS = [("dedupe", {"items": [1, 1]})]
