"""Normalize phone numbers; typed, doctest."""

ORIGINAL = r'''"""Phone numbers."""


def normalize_phone(raw: str) -> str | None:
    """E.164 form of a North American number, or None.

    >>> normalize_phone("(555) 123-4567")
    '+15551234567'
    >>> normalize_phone("1 555 123 4567")
    '+15551234567'
    """
    digits = "".join(c for c in raw if c.isdigit())
    if len(digits) == 10:
        return "+1" + digits
    if len(digits) == 11 and digits.startswith("1"):
        return "+" + digits
    return None
'''

REFACTOR = r'''"""Phone numbers."""


def normalize_phone(raw: str) -> str | None:
    """E.164 form of a North American number, or None.

    >>> normalize_phone("(555) 123-4567")
    '+15551234567'
    >>> normalize_phone("1 555 123 4567")
    '+15551234567'
    """
    digits = "".join(c for c in raw if c.isdigit())
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    return "+1" + digits if len(digits) == 10 else None
'''

BUG = ('startswith("1")', 'startswith("7")')

TESTS = r"""from main import normalize_phone


def test_short():
    assert normalize_phone("123") is None
"""

DIFFERS = [("normalize_phone", {"raw": "1 555 123 4567"})]
