"""Parse '1h30m' to minutes; typed, doctest."""

ORIGINAL = r'''"""Durations."""

import re


def parse_duration(text: str) -> int:
    """Minutes in a duration such as '2h', '45m' or '1h30m'.

    >>> parse_duration("1h30m")
    90
    """
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?", text.strip())
    if not match or not text.strip():
        raise ValueError(f"not a duration: {text!r}")
    hours, minutes = match.groups()
    return int(hours or 0) * 60 + int(minutes or 0)
'''

REFACTOR = r'''"""Durations."""

import re

PATTERN = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?")


def parse_duration(text: str) -> int:
    """Minutes in a duration such as '2h', '45m' or '1h30m'.

    >>> parse_duration("1h30m")
    90
    """
    stripped = text.strip()
    match = PATTERN.fullmatch(stripped)
    if not stripped or match is None:
        raise ValueError(f"not a duration: {text!r}")
    hours = int(match.group(1) or 0)
    minutes = int(match.group(2) or 0)
    return hours * 60 + minutes
'''

BUG = ("* 60", "* 6")

TESTS = r"""from main import parse_duration


def test_minutes():
    assert parse_duration("45m") == 45


def test_bad():
    try:
        parse_duration("soon")
    except ValueError:
        return
    raise AssertionError("no ValueError")
"""

DIFFERS = [("parse_duration", {"text": "1h30m"})]
