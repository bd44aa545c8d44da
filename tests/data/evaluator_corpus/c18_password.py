"""Password strength; typed, `->` example."""

ORIGINAL = r'''"""Passwords."""


def is_strong(password: str) -> bool:
    """At least 8 characters, with a digit, an upper-case and a lower-case letter.

    is_strong("Secret12") -> True
    """
    return (
        len(password) >= 8
        and any(c.isdigit() for c in password)
        and any(c.isupper() for c in password)
        and any(c.islower() for c in password)
    )
'''

REFACTOR = r'''"""Passwords."""


def is_strong(password: str) -> bool:
    """At least 8 characters, with a digit, an upper-case and a lower-case letter.

    is_strong("Secret12") -> True
    """
    if len(password) < 8:
        return False
    kinds = (str.isdigit, str.isupper, str.islower)
    return all(any(kind(c) for c in password) for kind in kinds)
'''

BUG = ("len(password) >= 8", "len(password) > 8")

TESTS = r"""from main import is_strong


def test_weak():
    assert not is_strong("short")
    assert not is_strong("alllowercase1")
"""

DIFFERS = [("is_strong", {"password": "Secret12"})]
