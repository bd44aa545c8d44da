"""The modification benchmark's cases: small objects of our own, a request, hidden tests.

Each case is an object (`main.py` and its visible `test_main.py`), a request in plain words,
acceptance tests the pipeline never sees (`hidden`, run against the accepted files), and a
reference answer (`reference`, a `main.py` that does what was asked). The reference proves
each request feasible: `bench/modify.py --check-cases` runs the hidden tests against it (they
must pass) and against the original (at least one must fail, so they test the change).
The two behaviour-keeping requests (fib, docstrings) are the exception: their hidden tests
pin the behaviour the original already has, plus what the request adds.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    slug: str
    request: str
    main: str
    tests: str
    hidden: str
    reference: str

    @property
    def files(self) -> dict[str, str]:
        return {"main.py": self.main, "test_main.py": self.tests}


def _case(slug: str, request: str, main: str, tests: str, hidden: str, reference: str) -> Case:
    return Case(slug, request, main.lstrip("\n"), tests.lstrip("\n"), hidden.lstrip("\n"),
                reference.lstrip("\n"))  # fmt: skip


CASES: list[Case] = [
    _case(
        "calc",
        "Add a function sub(a, b) that returns a minus b.",
        '''
"""Arithmetic helpers."""


def add(a: int, b: int) -> int:
    """Return the sum of a and b."""
    return a + b
''',
        """
from main import add


def test_add():
    assert add(2, 3) == 5
""",
        """
from main import add, sub


def test_sub():
    assert sub(5, 3) == 2
    assert sub(0, 4) == -4


def test_add_kept():
    assert add(2, 3) == 5
""",
        '''
"""Arithmetic helpers."""


def add(a: int, b: int) -> int:
    """Return the sum of a and b."""
    return a + b


def sub(a: int, b: int) -> int:
    """Return a minus b."""
    return a - b
''',
    ),
    _case(
        "greeter",
        "greet should take an optional second argument, the greeting, defaulting to 'Hello'; "
        "greet('Ann', 'Hi') returns 'Hi, Ann!'.",
        '''
"""Greetings."""


def greet(name: str) -> str:
    """A friendly greeting for `name`."""
    return f"Hello, {name}!"
''',
        """
from main import greet


def test_greet():
    assert greet("Ann") == "Hello, Ann!"
""",
        """
from main import greet


def test_default_greeting():
    assert greet("Ann") == "Hello, Ann!"


def test_custom_greeting():
    assert greet("Ann", "Hi") == "Hi, Ann!"
    assert greet("Bo", greeting="Good morning") == "Good morning, Bo!"
""",
        '''
"""Greetings."""


def greet(name: str, greeting: str = "Hello") -> str:
    """A friendly greeting for `name`."""
    return f"{greeting}, {name}!"
''',
    ),
    _case(
        "temperature",
        "Add fahrenheit_to_celsius(f), the inverse of celsius_to_fahrenheit.",
        '''
"""Temperature conversions."""


def celsius_to_fahrenheit(c: float) -> float:
    """Degrees Celsius in Fahrenheit."""
    return c * 9 / 5 + 32
''',
        """
from main import celsius_to_fahrenheit


def test_boiling():
    assert celsius_to_fahrenheit(100) == 212
""",
        """
import math

from main import celsius_to_fahrenheit, fahrenheit_to_celsius


def test_inverse():
    assert math.isclose(fahrenheit_to_celsius(212), 100)
    assert math.isclose(fahrenheit_to_celsius(32), 0, abs_tol=1e-9)
    assert math.isclose(fahrenheit_to_celsius(-40), -40)


def test_kept():
    assert celsius_to_fahrenheit(0) == 32
""",
        '''
"""Temperature conversions."""


def celsius_to_fahrenheit(c: float) -> float:
    """Degrees Celsius in Fahrenheit."""
    return c * 9 / 5 + 32


def fahrenheit_to_celsius(f: float) -> float:
    """Degrees Fahrenheit in Celsius."""
    return (f - 32) * 5 / 9
''',
    ),
    _case(
        "stats",
        "Add median(values): the median of a non-empty list of numbers (the mean of the two "
        "middle values when the count is even).",
        '''
"""Small statistics."""


def mean(values: list[float]) -> float:
    """The arithmetic mean of a non-empty list."""
    return sum(values) / len(values)
''',
        """
from main import mean


def test_mean():
    assert mean([1, 2, 6]) == 3
""",
        """
from main import median


def test_odd():
    assert median([3, 1, 2]) == 2


def test_even():
    assert median([4, 1, 3, 2]) == 2.5


def test_input_untouched():
    values = [3, 1, 2]
    median(values)
    assert values == [3, 1, 2]
""",
        '''
"""Small statistics."""


def mean(values: list[float]) -> float:
    """The arithmetic mean of a non-empty list."""
    return sum(values) / len(values)


def median(values: list[float]) -> float:
    """The middle value of a non-empty list (mean of the two middle ones for an even count)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
''',
    ),
    _case(
        "vowels",
        "Add count_vowels(text) returning how many vowels (a, e, i, o, u, in either case) the "
        "text has.",
        '''
"""Text measurements."""


def word_count(text: str) -> int:
    """How many whitespace-separated words the text has."""
    return len(text.split())
''',
        """
from main import word_count


def test_words():
    assert word_count("a b  c") == 3
""",
        """
from main import count_vowels


def test_vowels():
    assert count_vowels("Hello World") == 3
    assert count_vowels("") == 0
    assert count_vowels("AEIOUxyz") == 5
""",
        '''
"""Text measurements."""


def word_count(text: str) -> int:
    """How many whitespace-separated words the text has."""
    return len(text.split())


def count_vowels(text: str) -> int:
    """How many of the letters are a, e, i, o or u (either case)."""
    return sum(1 for char in text.lower() if char in "aeiou")
''',
    ),
    _case(
        "slugs",
        "slugify should also drop every character that is not a letter, digit or space, and "
        "never produce two hyphens in a row: 'Hello,  World!' becomes 'hello-world'.",
        '''
"""URL slugs."""


def slugify(text: str) -> str:
    """Lower-case text with spaces turned into hyphens."""
    return text.strip().lower().replace(" ", "-")
''',
        """
from main import slugify


def test_simple():
    assert slugify("Hello World") == "hello-world"
""",
        """
from main import slugify


def test_punctuation():
    assert slugify("Hello, World!") == "hello-world"


def test_repeated_spaces():
    assert slugify("a   b") == "a-b"


def test_digits():
    assert slugify("Top 10 tips") == "top-10-tips"
""",
        '''
"""URL slugs."""

import re


def slugify(text: str) -> str:
    """Lower-case letters and digits, words joined by single hyphens."""
    cleaned = re.sub(r"[^a-z0-9 ]", "", text.lower())
    return "-".join(cleaned.split())
''',
    ),
    _case(
        "fizz",
        "Add fizzbuzz(n) that returns 'Fizz' for multiples of 3, 'Buzz' for multiples of 5, "
        "'FizzBuzz' for multiples of both, and otherwise n as a string.",
        '''
"""Number games."""


def is_even(n: int) -> bool:
    """Whether n is even."""
    return n % 2 == 0
''',
        """
from main import is_even


def test_even():
    assert is_even(4) and not is_even(3)
""",
        """
from main import fizzbuzz


def test_fizzbuzz():
    assert [fizzbuzz(n) for n in (1, 3, 5, 15, 22)] == ["1", "Fizz", "Buzz", "FizzBuzz", "22"]
""",
        '''
"""Number games."""


def is_even(n: int) -> bool:
    """Whether n is even."""
    return n % 2 == 0


def fizzbuzz(n: int) -> str:
    """'Fizz', 'Buzz', 'FizzBuzz' or the number itself, as the game says."""
    word = ("Fizz" if n % 3 == 0 else "") + ("Buzz" if n % 5 == 0 else "")
    return word or str(n)
''',
    ),
    _case(
        "cart",
        "total should take an optional discount in percent (default 0): total([10, 20], "
        "discount=10) is 27.0.",
        '''
"""Shopping cart sums."""


def total(prices: list[float]) -> float:
    """The sum of the prices."""
    return float(sum(prices))
''',
        """
from main import total


def test_total():
    assert total([1.5, 2.5]) == 4.0
""",
        """
import math

from main import total


def test_discount():
    assert math.isclose(total([10, 20], discount=10), 27.0)
    assert math.isclose(total([50], 50), 25.0)


def test_no_discount():
    assert total([1.5, 2.5]) == 4.0
""",
        '''
"""Shopping cart sums."""


def total(prices: list[float], discount: float = 0) -> float:
    """The sum of the prices, less `discount` percent."""
    return float(sum(prices)) * (100 - discount) / 100
''',
    ),
    _case(
        "palindromes",
        "Add is_palindrome(text): True when the text reads the same backwards, ignoring case "
        "and spaces.",
        '''
"""String helpers."""


def reverse(text: str) -> str:
    """The text backwards."""
    return text[::-1]
''',
        """
from main import reverse


def test_reverse():
    assert reverse("abc") == "cba"
""",
        """
from main import is_palindrome


def test_palindromes():
    assert is_palindrome("Never odd or even")
    assert is_palindrome("Abba")
    assert not is_palindrome("abc")
""",
        '''
"""String helpers."""


def reverse(text: str) -> str:
    """The text backwards."""
    return text[::-1]


def is_palindrome(text: str) -> bool:
    """Whether the text reads the same backwards, ignoring case and spaces."""
    letters = text.replace(" ", "").lower()
    return letters == letters[::-1]
''',
    ),
    _case(
        "clamp",
        "clamp should raise ValueError when low is greater than high.",
        '''
"""Number ranges."""


def clamp(value: float, low: float, high: float) -> float:
    """The value, moved into [low, high]."""
    return max(low, min(value, high))
''',
        """
from main import clamp


def test_clamp():
    assert clamp(15, 0, 10) == 10
    assert clamp(-1, 0, 10) == 0
""",
        """
from main import clamp


def test_bad_range():
    try:
        clamp(5, 10, 0)
    except ValueError:
        return
    raise AssertionError("clamp(5, 10, 0) raised no ValueError")


def test_kept():
    assert clamp(5, 0, 10) == 5
    assert clamp(3, 3, 3) == 3
""",
        '''
"""Number ranges."""


def clamp(value: float, low: float, high: float) -> float:
    """The value, moved into [low, high]; ValueError when low > high."""
    if low > high:
        raise ValueError(f"low ({low}) is greater than high ({high})")
    return max(low, min(value, high))
''',
    ),
    _case(
        "primes",
        "Add primes_up_to(n) returning every prime less than or equal to n, in increasing order.",
        '''
"""Primes."""


def is_prime(n: int) -> bool:
    """Whether n is a prime number."""
    if n < 2:
        return False
    return all(n % d for d in range(2, int(n**0.5) + 1))
''',
        """
from main import is_prime


def test_is_prime():
    assert [n for n in range(12) if is_prime(n)] == [2, 3, 5, 7, 11]
""",
        """
from main import primes_up_to


def test_primes():
    assert primes_up_to(10) == [2, 3, 5, 7]
    assert primes_up_to(13) == [2, 3, 5, 7, 11, 13]
    assert primes_up_to(1) == []
""",
        '''
"""Primes."""


def is_prime(n: int) -> bool:
    """Whether n is a prime number."""
    if n < 2:
        return False
    return all(n % d for d in range(2, int(n**0.5) + 1))


def primes_up_to(n: int) -> list[int]:
    """The primes <= n, smallest first."""
    return [k for k in range(2, n + 1) if is_prime(k)]
''',
    ),
    _case(
        "roman",
        "Add from_roman(text) that turns a Roman numeral back into an integer "
        "(from_roman('XIV') is 14).",
        '''
"""Roman numerals."""

NUMERALS = [
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
    (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
]


def to_roman(n: int) -> str:
    """n (1 to 3999) as a Roman numeral."""
    parts = []
    for value, letters in NUMERALS:
        count, n = divmod(n, value)
        parts.append(letters * count)
    return "".join(parts)
''',
        """
from main import to_roman


def test_to_roman():
    assert to_roman(1990) == "MCMXC"
""",
        """
from main import from_roman, to_roman


def test_from_roman():
    assert from_roman("XIV") == 14
    assert from_roman("MCMXC") == 1990
    assert from_roman("I") == 1


def test_round_trip():
    assert all(from_roman(to_roman(n)) == n for n in range(1, 400))
""",
        '''
"""Roman numerals."""

NUMERALS = [
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
    (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
]


def to_roman(n: int) -> str:
    """n (1 to 3999) as a Roman numeral."""
    parts = []
    for value, letters in NUMERALS:
        count, n = divmod(n, value)
        parts.append(letters * count)
    return "".join(parts)


def from_roman(text: str) -> int:
    """The integer a Roman numeral stands for."""
    total = 0
    for value, letters in NUMERALS:
        while text.startswith(letters):
            total += value
            text = text[len(letters):]
    return total
''',
    ),
    _case(
        "durations",
        "format_duration should leave out the parts that are zero: 60 gives '1m', 3601 gives "
        "'1h 1s', and 0 gives '0s'.",
        '''
"""Durations for people."""


def format_duration(seconds: int) -> str:
    """Seconds as hours, minutes and seconds: 3723 -> '1h 2m 3s'."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes}m {secs}s"
''',
        """
from main import format_duration


def test_full():
    assert format_duration(3723) == "1h 2m 3s"
""",
        """
from main import format_duration


def test_zero_parts_left_out():
    assert format_duration(60) == "1m"
    assert format_duration(3601) == "1h 1s"
    assert format_duration(0) == "0s"


def test_full_kept():
    assert format_duration(3723) == "1h 2m 3s"
""",
        '''
"""Durations for people."""


def format_duration(seconds: int) -> str:
    """Seconds as hours, minutes and seconds, zero parts left out: 3601 -> '1h 1s'."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (secs, "s")) if n]
    return " ".join(parts) or "0s"
''',
    ),
    _case(
        "chunks",
        "chunk should raise ValueError when size is less than 1.",
        '''
"""List helpers."""


def chunk(items: list, size: int) -> list[list]:
    """The items in consecutive pieces of `size` (the last may be shorter)."""
    return [items[i : i + size] for i in range(0, len(items), size)] if size > 0 else []
''',
        """
from main import chunk


def test_chunk():
    assert chunk([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
""",
        """
from main import chunk


def test_bad_sizes():
    for size in (0, -1):
        try:
            chunk([1, 2], size)
        except ValueError:
            continue
        raise AssertionError(f"chunk([1, 2], {size}) raised no ValueError")


def test_kept():
    assert chunk([1, 2, 3], 3) == [[1, 2, 3]]
""",
        '''
"""List helpers."""


def chunk(items: list, size: int) -> list[list]:
    """The items in consecutive pieces of `size` (the last may be shorter)."""
    if size < 1:
        raise ValueError(f"size must be at least 1, not {size}")
    return [items[i : i + size] for i in range(0, len(items), size)]
''',
    ),
    _case(
        "dedupe",
        "dedupe must keep the order in which items first appear: dedupe([3, 1, 3, 2, 1]) is "
        "[3, 1, 2].",
        '''
"""List helpers."""


def dedupe(items: list[int]) -> list[int]:
    """The items without repeats."""
    return sorted(set(items))
''',
        """
from main import dedupe


def test_dedupe():
    assert len(dedupe([1, 1, 2])) == 2
""",
        """
from main import dedupe


def test_first_occurrence_order():
    assert dedupe([3, 1, 3, 2, 1]) == [3, 1, 2]
    assert dedupe([]) == []
""",
        '''
"""List helpers."""


def dedupe(items: list[int]) -> list[int]:
    """The items without repeats, in the order they first appear."""
    return list(dict.fromkeys(items))
''',
    ),
    _case(
        "prices",
        "format_price should put commas between thousands in the dollars: 123450 cents is "
        "'$1,234.50'.",
        '''
"""Money for people."""


def format_price(cents: int) -> str:
    """An amount in cents as dollars: 150 -> '$1.50'."""
    return f"${cents // 100}.{cents % 100:02d}"
''',
        """
from main import format_price


def test_small():
    assert format_price(150) == "$1.50"
""",
        """
from main import format_price


def test_thousands():
    assert format_price(123450) == "$1,234.50"
    assert format_price(100000000) == "$1,000,000.00"


def test_small_kept():
    assert format_price(5) == "$0.05"
""",
        '''
"""Money for people."""


def format_price(cents: int) -> str:
    """An amount in cents as dollars, thousands separated: 123450 -> '$1,234.50'."""
    return f"${cents // 100:,}.{cents % 100:02d}"
''',
    ),
    _case(
        "grades",
        "grade should raise ValueError for a score below 0 or above 100.",
        '''
"""School grades."""


def grade(score: int) -> str:
    """The letter for a score out of 100."""
    for floor, letter in ((90, "A"), (80, "B"), (70, "C"), (60, "D")):
        if score >= floor:
            return letter
    return "F"
''',
        """
from main import grade


def test_grades():
    assert grade(95) == "A" and grade(59) == "F"
""",
        """
from main import grade


def test_out_of_range():
    for score in (-1, 101):
        try:
            grade(score)
        except ValueError:
            continue
        raise AssertionError(f"grade({score}) raised no ValueError")


def test_edges_kept():
    assert grade(0) == "F" and grade(100) == "A" and grade(80) == "B"
""",
        '''
"""School grades."""


def grade(score: int) -> str:
    """The letter for a score out of 100; ValueError outside 0..100."""
    if not 0 <= score <= 100:
        raise ValueError(f"a score is between 0 and 100, not {score}")
    for floor, letter in ((90, "A"), (80, "B"), (70, "C"), (60, "D")):
        if score >= floor:
            return letter
    return "F"
''',
    ),
    _case(
        "fib",
        "Make fib fast: fib(80) must return at once. Keep what it returns (fib(0) is 0, fib(1) "
        "is 1).",
        '''
"""Fibonacci numbers."""


def fib(n: int) -> int:
    """The n-th Fibonacci number."""
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
''',
        """
from main import fib


def test_small():
    assert [fib(n) for n in range(8)] == [0, 1, 1, 2, 3, 5, 8, 13]
""",
        """
from main import fib


def test_fast():
    assert fib(80) == 23416728348467685


def test_kept():
    assert [fib(n) for n in range(10)] == [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]
""",
        '''
"""Fibonacci numbers."""


def fib(n: int) -> int:
    """The n-th Fibonacci number."""
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a
''',
    ),
    _case(
        "shapes",
        "Add circle_area(radius) using math.pi.",
        '''
"""Areas."""


def rectangle_area(width: float, height: float) -> float:
    """The area of a width x height rectangle."""
    return width * height
''',
        """
from main import rectangle_area


def test_rectangle():
    assert rectangle_area(2, 3) == 6
""",
        """
import math

from main import circle_area


def test_circle():
    assert math.isclose(circle_area(1), math.pi)
    assert math.isclose(circle_area(2), 4 * math.pi)
""",
        '''
"""Areas."""

import math


def rectangle_area(width: float, height: float) -> float:
    """The area of a width x height rectangle."""
    return width * height


def circle_area(radius: float) -> float:
    """The area of a circle of this radius."""
    return math.pi * radius**2
''',
    ),
    _case(
        "csvrow",
        "parse_row should strip the spaces around each field: ' a , b,c ' gives ['a', 'b', 'c'].",
        '''
"""Comma-separated rows."""


def parse_row(line: str) -> list[str]:
    """The fields of one comma-separated line."""
    return line.split(",")
''',
        """
from main import parse_row


def test_plain():
    assert parse_row("a,b") == ["a", "b"]
""",
        """
from main import parse_row


def test_spaces_stripped():
    assert parse_row(" a , b,c ") == ["a", "b", "c"]
    assert parse_row("x") == ["x"]
""",
        '''
"""Comma-separated rows."""


def parse_row(line: str) -> list[str]:
    """The fields of one comma-separated line, without surrounding spaces."""
    return [field.strip() for field in line.split(",")]
''',
    ),
    _case(
        "initials",
        "initials should ignore extra spaces and always return capital letters: "
        "'  ada   lovelace ' gives 'AL'.",
        '''
"""Names."""


def initials(name: str) -> str:
    """The first letter of each word: 'Ada Lovelace' -> 'AL'."""
    return "".join(word[0] for word in name.split(" "))
''',
        """
from main import initials


def test_initials():
    assert initials("Ada Lovelace") == "AL"
""",
        """
from main import initials


def test_messy():
    assert initials("  ada   lovelace ") == "AL"
    assert initials("grace") == "G"
""",
        '''
"""Names."""


def initials(name: str) -> str:
    """The first letter of each word, in capitals: 'ada lovelace' -> 'AL'."""
    return "".join(word[0].upper() for word in name.split())
''',
    ),
    _case(
        "counter",
        "Add a function reset() that sets the count back to 0 and returns 0.",
        '''
"""A counter kept in the object's storage."""

import storage


def increment() -> int:
    """Add one to the count and return it."""
    count = storage.get("count", 0) + 1
    storage.put("count", count)
    return count
''',
        """
from main import increment


def test_increment():
    first = increment()
    assert increment() == first + 1
""",
        """
from main import increment, reset


def test_reset():
    increment()
    assert reset() == 0
    assert increment() == 1
""",
        '''
"""A counter kept in the object's storage."""

import storage


def increment() -> int:
    """Add one to the count and return it."""
    count = storage.get("count", 0) + 1
    storage.put("count", count)
    return count


def reset() -> int:
    """Set the count back to 0."""
    storage.put("count", 0)
    return 0
''',
    ),
    _case(
        "docs",
        "Give every function a docstring that says what it returns; do not change what any "
        "function does.",
        """
def square(x: float) -> float:
    return x * x


def cube(x: float) -> float:
    return x * x * x
""",
        """
from main import cube, square


def test_powers():
    assert square(3) == 9 and cube(2) == 8
""",
        """
from main import cube, square


def test_docstrings():
    assert square.__doc__ and square.__doc__.strip()
    assert cube.__doc__ and cube.__doc__.strip()


def test_behaviour_kept():
    assert [square(x) for x in (-2, 0, 1.5)] == [4, 0, 2.25]
    assert [cube(x) for x in (-2, 0, 3)] == [-8, 0, 27]
""",
        '''
def square(x: float) -> float:
    """Return x squared."""
    return x * x


def cube(x: float) -> float:
    """Return x cubed."""
    return x * x * x
''',
    ),
]
