"""Luhn checksum; untyped, arrow example."""

ORIGINAL = r'''"""Card numbers."""


def luhn_valid(number):
    """Whether a card number passes the Luhn check (spaces ignored).

    luhn_valid("4539 1488 0343 6467") ➞ True
    """
    digits = [int(c) for c in number.replace(" ", "")]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return len(digits) > 1 and total % 10 == 0
'''

REFACTOR = r'''"""Card numbers."""


def luhn_valid(number):
    """Whether a card number passes the Luhn check (spaces ignored).

    luhn_valid("4539 1488 0343 6467") ➞ True
    """
    digits = [int(c) for c in number.replace(" ", "")]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if index % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return len(digits) > 1 and total % 10 == 0
'''

BUG = ("digit -= 9", "digit -= 8")

TESTS = r"""from main import luhn_valid


def test_short():
    assert not luhn_valid("0")
"""

DIFFERS = [("luhn_valid", {"number": "4539 1488 0343 6467"})]
