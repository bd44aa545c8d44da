"""Text and number helpers: the benchmark's object (about 200 lines, 20 tests)."""

from __future__ import annotations

import re

ROMAN = [
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
]
UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
MAX_N = 10_000


def slugify(text: str) -> str:
    """Lower-case words joined by dashes: 'Hello, World!' -> 'hello-world'."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words)


def word_count(text: str) -> dict[str, int]:
    """How often each lower-cased word occurs."""
    counts: dict[str, int] = {}
    for word in re.findall(r"[a-z']+", text.lower()):
        counts[word] = counts.get(word, 0) + 1
    return counts


def mean(values: list[float]) -> float | None:
    """The arithmetic mean, or None for an empty list."""
    if not values:
        return None
    return sum(values) / len(values)


def median(values: list[float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count)."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def clamp(value: float, low: float, high: float) -> float:
    """`value` limited to [low, high]; raises ValueError when low > high."""
    if low > high:
        raise ValueError("low must not exceed high")
    return max(low, min(high, value))


def is_prime(n: int) -> bool:
    """Whether n is a prime number."""
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    divisor = 3
    while divisor * divisor <= n:
        if n % divisor == 0:
            return False
        divisor += 2
    return True


def primes_below(n: int) -> list[int]:
    """The primes below n (n at most 10000), by the sieve of Eratosthenes."""
    if n > MAX_N:
        raise ValueError(f"n must be at most {MAX_N}")
    if n < 3:
        return []
    sieve = [True] * n
    sieve[0] = sieve[1] = False
    for number in range(2, int(n**0.5) + 1):
        if sieve[number]:
            sieve[number * number :: number] = [False] * len(sieve[number * number :: number])
    return [number for number, prime in enumerate(sieve) if prime]


def fizzbuzz(n: int) -> list[str]:
    """FizzBuzz from 1 to n (n at most 10000)."""
    if n > MAX_N:
        raise ValueError(f"n must be at most {MAX_N}")
    result = []
    for number in range(1, n + 1):
        text = ("Fizz" if number % 3 == 0 else "") + ("Buzz" if number % 5 == 0 else "")
        result.append(text or str(number))
    return result


def roman(n: int) -> str:
    """n (1 to 3999) in Roman numerals."""
    if not 1 <= n <= 3999:
        raise ValueError("roman numerals cover 1 to 3999")
    parts = []
    for value, letters in ROMAN:
        while n >= value:
            parts.append(letters)
            n -= value
    return "".join(parts)


def parse_duration(text: str) -> int:
    """Seconds in a duration such as '1h30m' or '2d 4h 15s'."""
    matches = re.findall(r"(\d+)\s*([dhms])", text.strip().lower())
    if not matches or re.sub(r"[\d\sdhms]", "", text.lower()):
        raise ValueError(f"not a duration: {text!r}")
    return sum(int(amount) * UNITS[unit] for amount, unit in matches)


def chunk(items: list[int], size: int) -> list[list[int]]:
    """`items` in consecutive lists of `size` (the last may be shorter)."""
    if size < 1:
        raise ValueError("size must be at least 1")
    return [items[index : index + size] for index in range(0, len(items), size)]


def caesar(text: str, shift: int = 3) -> str:
    """Letters shifted along the alphabet; other characters unchanged."""
    result = []
    for char in text:
        if "a" <= char <= "z":
            result.append(chr((ord(char) - ord("a") + shift) % 26 + ord("a")))
        elif "A" <= char <= "Z":
            result.append(chr((ord(char) - ord("A") + shift) % 26 + ord("A")))
        else:
            result.append(char)
    return "".join(result)


def luhn_valid(number: str) -> bool:
    """Whether a card number passes the Luhn check (spaces allowed)."""
    digits = number.replace(" ", "")
    if not digits.isdigit() or len(digits) < 2:
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def format_cents(cents: int, currency: str = "$") -> str:
    """An amount in cents as money: 123456 -> '$1,234.56', -5 -> '-$0.05'."""
    sign = "-" if cents < 0 else ""
    whole, fraction = divmod(abs(cents), 100)
    return f"{sign}{currency}{whole:,}.{fraction:02d}"


def gcd(a: int, b: int) -> int:
    """The greatest common divisor (never negative)."""
    a, b = abs(a), abs(b)
    while b:
        a, b = b, a % b
    return a


def running_total(values: list[int]) -> list[int]:
    """Cumulative sums: [1, 2, 3] -> [1, 3, 6]."""
    totals = []
    total = 0
    for value in values:
        total += value
        totals.append(total)
    return totals


def initials(name: str) -> str:
    """Upper-case initials of a name: 'ada lovelace' -> 'AL'."""
    return "".join(part[0].upper() for part in name.split() if part)


def histogram(values: list[int], buckets: int = 4) -> list[int]:
    """Counts of `values` in `buckets` equal ranges between their minimum and maximum."""
    if buckets < 1:
        raise ValueError("buckets must be at least 1")
    if not values:
        return [0] * buckets
    low, high = min(values), max(values)
    width = (high - low) / buckets or 1
    counts = [0] * buckets
    for value in values:
        counts[min(int((value - low) / width), buckets - 1)] += 1
    return counts
