"""Word frequencies; typed."""

ORIGINAL = r'''"""Word counts."""

import re


def word_frequencies(text: str) -> dict[str, int]:
    """How often each word occurs, case-insensitively."""
    counts: dict[str, int] = {}
    for word in re.findall(r"[a-z']+", text.lower()):
        counts[word] = counts.get(word, 0) + 1
    return counts
'''

REFACTOR = r'''"""Word counts."""

import re
from collections import Counter


def word_frequencies(text: str) -> dict[str, int]:
    """How often each word occurs, case-insensitively."""
    return dict(Counter(re.findall(r"[a-z']+", text.lower())))
'''

BUG = ("text.lower()", "text.upper()")

TESTS = r"""from main import word_frequencies


def test_counts():
    assert word_frequencies("") == {}
"""

DIFFERS = [("word_frequencies", {"text": "a b a"})]
