"""FizzBuzz word; typed."""

ORIGINAL = r'''"""Counting game."""


def fizzbuzz(n: int) -> str:
    """'Fizz' for multiples of 3, 'Buzz' of 5, 'FizzBuzz' of both, else the number."""
    if n % 15 == 0:
        return "FizzBuzz"
    if n % 3 == 0:
        return "Fizz"
    if n % 5 == 0:
        return "Buzz"
    return str(n)
'''

REFACTOR = r'''"""Counting game."""


def fizzbuzz(n: int) -> str:
    """'Fizz' for multiples of 3, 'Buzz' of 5, 'FizzBuzz' of both, else the number."""
    word = ("Fizz" if n % 3 == 0 else "") + ("Buzz" if n % 5 == 0 else "")
    return word or str(n)
'''

BUG = ("n % 15 == 0", "n % 25 == 0")

TESTS = r"""from main import fizzbuzz


def test_plain():
    assert fizzbuzz(7) == "7"
"""

DIFFERS = [("fizzbuzz", {"n": 15})]
