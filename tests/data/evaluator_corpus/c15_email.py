"""Email address check; untyped, doctest."""

ORIGINAL = r'''"""Email addresses."""


def is_valid_email(address):
    """A rough check: one '@', a local part, and a dot inside the domain.

    >>> is_valid_email("ann@example.com")
    True
    >>> is_valid_email("ann@localhost")
    False
    """
    if address.count("@") != 1:
        return False
    local, domain = address.split("@")
    return bool(local) and "." in domain.strip(".")
'''

REFACTOR = r'''"""Email addresses."""


def is_valid_email(address):
    """A rough check: one '@', a local part, and a dot inside the domain.

    >>> is_valid_email("ann@example.com")
    True
    >>> is_valid_email("ann@localhost")
    False
    """
    if address.count("@") != 1:
        return False
    local, _, domain = address.partition("@")
    return local != "" and "." in domain.strip(".")
'''

BUG = ('"." in', '"," in')

TESTS = r"""from main import is_valid_email


def test_email():
    assert not is_valid_email("no-at-sign")
"""

DIFFERS = [("is_valid_email", {"address": "ann@example.com"})]
