"""Caesar cipher; typed, `==>` example."""

ORIGINAL = r'''"""Ciphers."""


def caesar(text: str, shift: int) -> str:
    """Letters shifted along the alphabet, case kept, others unchanged.

    caesar("Hello, World", 3) ==> "Khoor, Zruog"
    """
    out = []
    for c in text:
        if "a" <= c <= "z":
            out.append(chr((ord(c) - 97 + shift) % 26 + 97))
        elif "A" <= c <= "Z":
            out.append(chr((ord(c) - 65 + shift) % 26 + 65))
        else:
            out.append(c)
    return "".join(out)
'''

REFACTOR = r'''"""Ciphers."""

import string


def _shift(c: str, shift: int) -> str:
    for alphabet in (string.ascii_lowercase, string.ascii_uppercase):
        if c in alphabet:
            return alphabet[(alphabet.index(c) + shift) % 26]
    return c


def caesar(text: str, shift: int) -> str:
    """Letters shifted along the alphabet, case kept, others unchanged.

    caesar("Hello, World", 3) ==> "Khoor, Zruog"
    """
    return "".join(_shift(c, shift) for c in text)
'''

BUG = ('elif "A" <= c <= "Z"', 'elif "A" <= c <= "Y"')

TESTS = r"""from main import caesar


def test_round_trip():
    assert caesar(caesar("abc", 5), -5) == "abc"
"""

DIFFERS = [("caesar", {"text": "Z", "shift": 1})]
