"""Split a bill; untyped, `->` example."""

ORIGINAL = r'''"""Bills."""


def split_bill(total, people, tip=0.0):
    """Each person's share, tip included, rounded to cents.

    split_bill(100, 4, 0.1) -> 27.5
    """
    if people <= 0:
        raise ValueError("people must be positive")
    return round(total * (1 + tip) / people, 2)
'''

REFACTOR = r'''"""Bills."""


def split_bill(total, people, tip=0.0):
    """Each person's share, tip included, rounded to cents.

    split_bill(100, 4, 0.1) -> 27.5
    """
    if not people > 0:
        raise ValueError("people must be positive")
    with_tip = total * (1 + tip)
    return round(with_tip / people, 2)
'''

BUG = ("(1 + tip)", "(1 - tip)")

TESTS = r"""from main import split_bill


def test_split():
    assert split_bill(10, 2) == 5.0
"""

DIFFERS = [("split_bill", {"total": 100, "people": 4, "tip": 0.1})]
