"""Small helpers the grammar's rules share: matching, slots in the person's spelling,
comparisons and numbers."""

from __future__ import annotations

import re
from functools import lru_cache

from backend.commands.normalise import Utterance
from backend.commands.numbers import as_number

NUMBER = r"\d+(?:\.\d+)?"
ARTICLES = re.compile(r"^(?:(?:the|a|an|my|our|your|this|that|their|his|her|its|some) )+")
PRONOUNS = frozenset({"it", "this", "that", "them", "this one", "that one", "everything"})
ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
}
VERSION = r"(?:version (?:number )?(?P<v>\d+)|(?P<o>" + "|".join(ORDINALS) + r") version)"

# Comparison words, longest first within each operator so "more than" wins over "more".
COMPARISONS: tuple[tuple[str, str], ...] = (
    (
        ">",
        r"more than|greater than|bigger than|larger than|higher than|in excess of|"
        r"goes over|goes above|go over|go above|gets over|rises above|rise above|"
        r"exceeds|exceeding|exceeded|exceed|passes|pass|tops|crosses|cross|over|above|beyond",
    ),
    (">=", r"at least|no less than|minimum of|reaches|reach|hits|hit|gets to|get to"),
    (
        "<",
        r"less than|fewer than|lower than|smaller than|drops below|drop below|falls below|"
        r"fall below|goes below|go below|dips below|dip below|drops under|under|below",
    ),
    ("<=", r"at most|no more than|maximum of|up to"),
    ("==", r"exactly|equals|equal to"),
)
_CMP_TO_OP = {}
for _op, _words in COMPARISONS:
    for _word in _words.split("|"):
        _CMP_TO_OP[_word] = _op
CMP = "|".join(sorted(_CMP_TO_OP, key=len, reverse=True))
COMPARISON = re.compile(
    rf"\b(?:(?P<cmp>{CMP}) (?:a total of |of )?(?P<num>{NUMBER})|(?P<num2>{NUMBER})"
    r"(?P<tail>(?: \w+){0,3}?) or (?P<more>more|above|higher|greater|less|fewer|below|lower))\b"
)


@lru_cache(maxsize=512)
def compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def match(pattern: str, u: Utterance) -> re.Match[str] | None:
    """The whole utterance against `pattern` (anchored at both ends)."""
    return compiled(pattern).fullmatch(u.low)


def search(pattern: str, text: str) -> re.Match[str] | None:
    return compiled(pattern).search(text)


def spelled(u: Utterance, m: re.Match[str], group: str | int) -> str | None:
    """Group `group` of a match on `u.low`, in the person's spelling, or None."""
    if m.group(group) is None:
        return None
    start, end = m.span(group)
    if start == end:
        return None
    return u.original(start, end) or None


def object_words(u: Utterance, m: re.Match[str], group: str = "t") -> str | None:
    """The person's words for an object, without articles or possessives ("user dashboard")."""
    if m.group(group) is None:
        return None
    start, end = m.span(group)
    text = u.low[start:end]
    lead = ARTICLES.match(text)
    if lead:
        start += lead.end()
    trail = re.search(r"(?: (?:please|now|again|right now|for me|object))+$", u.low[start:end])
    if trail:
        end -= len(trail.group(0))
    if start >= end or u.low[start:end] in PRONOUNS:
        return None
    return u.original(start, end) or None


def version_of(m: re.Match[str]) -> int | None:
    groups = m.groupdict()
    if groups.get("v"):
        return int(float(groups["v"]))
    if groups.get("o"):
        return ORDINALS[groups["o"]]
    return None


def comparison(text: str) -> tuple[str, int | float, re.Match[str]] | None:
    """The first "more than 500" / "500 or more" in `text`: operator, number, match."""
    m = COMPARISON.search(text)
    if not m:
        return None
    if m.group("cmp"):
        return _CMP_TO_OP[m.group("cmp")], as_number(m.group("num")), m
    more = m.group("more") in {"more", "above", "higher", "greater"}
    return (">=" if more else "<="), as_number(m.group("num2")), m
