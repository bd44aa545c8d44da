"""Palindrome check ignoring punctuation; typed, no examples."""

ORIGINAL = r'''"""Palindromes."""


def is_palindrome(text: str) -> bool:
    """Whether the letters and digits read the same both ways, ignoring case."""
    letters = [c.lower() for c in text if c.isalnum()]
    return letters == letters[::-1]
'''

REFACTOR = r'''"""Palindromes."""


def is_palindrome(text: str) -> bool:
    """Whether the letters and digits read the same both ways, ignoring case."""
    letters = [c.lower() for c in text if c.isalnum()]
    return all(letters[i] == letters[-1 - i] for i in range(len(letters) // 2))
'''

BUG = ("[::-1]", "[::1]")

TESTS = r"""from main import is_palindrome


def test_palindrome():
    assert is_palindrome("A man, a plan, a canal: Panama")
"""

DIFFERS = [("is_palindrome", {"text": "ab"})]
