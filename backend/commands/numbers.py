"""Numbers said in words ("one thousand", "twenty five", "two point five") as digits.

Speech-to-text writes numbers either way, so the grammar only ever sees digits: a run of
number words becomes one token whose value is the number.
"""

from __future__ import annotations

UNITS = {
    "zero": 0,
    "oh": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
DIGIT_WORDS = {**UNITS, "oh": 0}


def is_number_word(word: str) -> bool:
    return word in UNITS or word in TENS or word in SCALES


def _digit_value(word: str) -> float | None:
    """A token written in digits ("500", "2.5", "5k"), or None."""
    multiplier = 1
    if word.endswith("k") and len(word) > 1:
        word, multiplier = word[:-1], 1000
    try:
        value = float(word)
    except ValueError:
        return None
    return value * multiplier


def format_number(value: float) -> str:
    """500.0 -> "500", 2.5 -> "2.5"."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def as_number(text: str) -> int | float:
    """A digit string from `read_number` as an int when whole, else a float."""
    value = float(text)
    return int(value) if value.is_integer() else value


def read_number(words: list[str], start: int) -> tuple[float, int] | None:
    """The number that begins at `words[start]`, and how many words it takes, or None.

    Understands digits ("1000", "5k"), digits with a scale ("5 thousand"), words
    ("one hundred and fifty", "twenty five", "a thousand") and a spoken decimal point
    ("two point five").
    """
    first = words[start]
    digits = _digit_value(first)
    if digits is not None:
        used = 1
        if start + 1 < len(words) and words[start + 1] in SCALES:
            digits *= SCALES[words[start + 1]]
            used = 2
        return digits, used

    position = start
    # "a thousand", "a hundred": the article counts as one only before a scale word.
    if first == "a" and start + 1 < len(words) and words[start + 1] in SCALES:
        words = [*words[:start], "one", *words[start + 1 :]]
    total, current, seen = 0.0, 0.0, False
    while position < len(words):
        word = words[position]
        if word in UNITS and word != "oh":
            current += UNITS[word]
        elif word in TENS:
            current += TENS[word]
        elif word in SCALES and seen:
            scale = SCALES[word]
            if scale == 100:
                current = (current or 1) * 100
            else:
                total += (current or 1) * scale
                current = 0
        elif (
            word == "and"
            and words[position - 1] in SCALES
            and position + 1 < len(words)
            and is_number_word(words[position + 1])
        ):
            pass  # "one hundred and fifty"
        else:
            break
        seen = True
        position += 1
    if not seen:
        return None
    value = total + current
    if (
        position + 1 < len(words)
        and words[position] == "point"
        and words[position + 1] in DIGIT_WORDS
    ):
        fraction = ""
        position += 1
        while position < len(words) and words[position] in DIGIT_WORDS:
            fraction += str(DIGIT_WORDS[words[position]])
            position += 1
        value = float(f"{int(value)}.{fraction}")
    return value, position - start
