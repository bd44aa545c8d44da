"""Relative time; typed."""

ORIGINAL = r'''"""Relative times."""


def time_ago(seconds: int) -> str:
    """'just now', 'N minutes ago', 'N hours ago' or 'N days ago'."""
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} minutes ago"
    if seconds < 86400:
        return f"{seconds // 3600} hours ago"
    return f"{seconds // 86400} days ago"
'''

REFACTOR = r'''"""Relative times."""

UNITS = [(86400, "days"), (3600, "hours"), (60, "minutes")]


def time_ago(seconds: int) -> str:
    """'just now', 'N minutes ago', 'N hours ago' or 'N days ago'."""
    for size, name in UNITS:
        if seconds >= size:
            return f"{seconds // size} {name} ago"
    return "just now"
'''

BUG = ("seconds < 86400", "seconds < 86000")

TESTS = r"""from main import time_ago


def test_now():
    assert time_ago(5) == "just now"
"""

DIFFERS = [("time_ago", {"seconds": 86100})]
