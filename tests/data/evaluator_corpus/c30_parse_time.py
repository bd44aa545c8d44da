"""Clock time to minutes; untyped, `->` example."""

ORIGINAL = r'''"""Clock times."""


def minutes_since_midnight(clock):
    """Minutes since midnight of an 'HH:MM' time.

    minutes_since_midnight("14:30") -> 870
    """
    hours, minutes = clock.split(":")
    h, m = int(hours), int(minutes)
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ValueError(f"not a time: {clock}")
    return h * 60 + m
'''

REFACTOR = r'''"""Clock times."""


def minutes_since_midnight(clock):
    """Minutes since midnight of an 'HH:MM' time.

    minutes_since_midnight("14:30") -> 870
    """
    hours, minutes = clock.split(":")
    h, m = int(hours), int(minutes)
    if h not in range(24) or m not in range(60):
        raise ValueError(f"not a time: {clock}")
    return 60 * h + m
'''

BUG = ("h < 24", "h < 14")

TESTS = r"""from main import minutes_since_midnight


def test_morning():
    assert minutes_since_midnight("08:05") == 485
"""

DIFFERS = [("minutes_since_midnight", {"clock": "14:30"})]
