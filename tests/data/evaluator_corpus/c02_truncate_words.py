"""Truncate to a number of words; typed, `==>` examples."""

ORIGINAL = r'''"""Text shortening."""


def truncate_words(text: str, limit: int) -> str:
    """At most `limit` words, with an ellipsis when some were cut.

    truncate_words("the quick brown fox", 2) ==> "the quick..."
    truncate_words("short", 5) ==> "short"
    """
    words = text.split()
    if len(words) <= limit:
        return " ".join(words)
    return " ".join(words[:limit]) + "..."
'''

REFACTOR = r'''"""Text shortening."""


def truncate_words(text: str, limit: int) -> str:
    """At most `limit` words, with an ellipsis when some were cut.

    truncate_words("the quick brown fox", 2) ==> "the quick..."
    truncate_words("short", 5) ==> "short"
    """
    words = text.split()
    kept = " ".join(words[:limit]) if len(words) > limit else " ".join(words)
    return kept + ("..." if len(words) > limit else "")
'''

BUG = ("<= limit", "< limit")

TESTS = r"""from main import truncate_words


def test_truncate():
    assert truncate_words("a b c", 1) == "a..."
"""

DIFFERS = [("truncate_words", {"text": "a b", "limit": 2})]
