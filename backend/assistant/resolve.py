"""Finding the object a person named in their own words ("the weather widget", "my calc").

Speech-to-text gives words, not slugs: articles, possessives, plurals and misheard spellings
are normal. Each object is scored against the words by its slug, its name and (weaker) its
description; one clear winner is a match, several close ones are a question to ask back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from sqlmodel import Session

from backend.enums import ObjectKind
from backend.models import DurableObject
from backend.objects import store

#: Words that never tell objects apart.
_NOISE = frozenset(
    [
        "the",
        "a",
        "an",
        "my",
        "our",
        "your",
        "this",
        "that",
        "these",
        "those",
        "its",
        "it",
        "object",
        "objects",
        "thing",
        "one",
        "please",
    ]
)
#: A score at or above this is a match worth taking.
MATCH = 0.75
#: Candidates this close to the best one make the answer ambiguous.
CLOSE = 0.12


@dataclass
class Resolution:
    """What the words named: one object, several to choose from, or none (with a few)."""

    match: DurableObject | None = None
    choices: list[DurableObject] = field(default_factory=list)
    others: list[DurableObject] = field(default_factory=list)


def words_of(text: str) -> list[str]:
    """Lower-case words without noise, possessives or a plural 's' ("Ada's widgets" ->
    ["ada", "widget"])."""
    tokens = re.findall(r"[a-z0-9]+", re.sub(r"'s\b", "", (text or "").lower()))
    return [_singular(token) for token in tokens if token not in _NOISE]


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _similar(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio()


def _coverage(wanted: list[str], have: list[str]) -> float:
    """How well each wanted word is found among `have` (misspellings count partly)."""
    if not wanted or not have:
        return 0.0
    best = [max(_similar(word, other) for other in have) for word in wanted]
    return sum(score if score >= 0.75 else 0.0 for score in best) / len(wanted)


def score(words: list[str], obj: DurableObject) -> float:
    """How well `words` name `obj`, in [0, 1]."""
    if not words:
        return 0.0
    name = words_of(obj.name)
    slug = words_of(obj.slug.replace("-", " ").replace("_", " "))
    joined = "".join(words)
    exact = max(_similar(joined, "".join(name)), _similar(joined, "".join(slug)))
    by_name = max(_coverage(words, name), _coverage(words, slug))
    # Extra words in the name that were not said cost a little ("weather" vs "weather api").
    extra = max(0, len(name) - len(words)) * 0.05
    by_description = 0.7 * _coverage(words, words_of(obj.description))
    return max(exact, by_name - extra, by_description)


def resolve(session: Session, text: str) -> Resolution:
    """The object `text` names, or the ones it might name, or a few to suggest."""
    objects = store.list_objects(session)
    words = words_of(text)
    ranked = sorted(((score(words, obj), obj) for obj in objects), key=lambda pair: -pair[0])
    good = [(value, obj) for value, obj in ranked if value >= MATCH]
    if not good:  # suggest what people made, never a monitor's internal check object
        shown = [obj for _, obj in ranked if obj.kind != ObjectKind.MONITOR]
        return Resolution(others=shown[:3])
    best = good[0][0]
    close = [obj for value, obj in good if best - value <= CLOSE]
    if len(close) == 1 or best >= 0.99 > good[1][0]:
        return Resolution(match=close[0])
    return Resolution(choices=sorted(close[:4], key=lambda obj: obj.name.lower()))


def pick(options: list[DurableObject], answer: str) -> DurableObject | None:
    """Which of `options` an answer to "did you mean A or B?" names: by position ("the
    first one", "2") or by its words; None when it names none or several."""
    text = (answer or "").lower()
    ordinals = ["first", "second", "third", "fourth"]
    for index, word in enumerate(ordinals[: len(options)]):
        if re.search(rf"\b({word}|{index + 1})\b", text):
            return options[index]
    if re.search(r"\blast\b", text):
        return options[-1]
    words = words_of(answer)
    scored = sorted(((score(words, obj), obj) for obj in options), key=lambda pair: -pair[0])
    if scored and scored[0][0] >= MATCH and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        return scored[0][1]
    return None


def names_in_words(objects: list[DurableObject]) -> str:
    """ "A", "A or B", "A, B or C": how a question or a list names objects aloud."""
    names = [obj.name for obj in objects]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " or " + names[-1]
