"""Discount codes; typed, no examples."""

ORIGINAL = r'''"""Discounts."""

CODES = {"SAVE10": 0.10, "HALF": 0.50, "STAFF": 0.30}


def apply_discount(price: float, code: str) -> float:
    """The price after the discount `code` gives (unknown codes give none)."""
    rate = CODES.get(code.upper(), 0.0)
    return round(price * (1 - rate), 2)
'''

REFACTOR = r'''"""Discounts."""

CODES = {"SAVE10": 0.10, "HALF": 0.50, "STAFF": 0.30}


def apply_discount(price: float, code: str) -> float:
    """The price after the discount `code` gives (unknown codes give none)."""
    key = code.upper()
    rate = CODES[key] if key in CODES else 0.0
    return round(price * (1 - rate), 2)
'''

BUG = ('"STAFF": 0.30', '"STAFF": 0.35')

TESTS = r"""from main import apply_discount


def test_discount():
    assert apply_discount(100.0, "save10") == 90.0
    assert apply_discount(100.0, "nope") == 100.0
"""

DIFFERS = [("apply_discount", {"price": 100.0, "code": "STAFF"})]
