"""From what a person typed or a speech recogniser heard to words the grammar can match.

The result keeps each word's original spelling next to its normalised form, so a slot
("payment API", "accept PayPal") is given back as the person wrote it while the patterns
match lower-case words: no punctuation, contractions spelled out, numbers as digits, and
fillers ("um", "please", "could you") gone.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from backend.commands.numbers import format_number, read_number

# Words that carry no meaning anywhere in an utterance.
FILLERS = frozenset(
    {"um", "umm", "uh", "uhh", "uhm", "er", "erm", "ah", "hmm", "mm", "please", "pls", "plz"}
)
FILLER_PAIRS = (("thank", "you"), ("thanks", None), ("thx", None), ("you", "know"))
# Politeness and openers, removed only at the start (repeatedly): "hey um could you please".
OPENERS = tuple(
    phrase.split()
    for phrase in (
        "i would like you to",
        "i would like to",
        "i want you to",
        "i need you to",
        "i want to",
        "i need to",
        "i wanna",
        "go ahead and",
        "could you",
        "can you",
        "would you",
        "will you",
        "hey there",
        "yo",
        "hey",
        "hi",
        "hello",
        "okay so",
        "okay",
        "so",
        "well",
        "alright",
        "all right",
        "yeah",
        "just",
        "kindly",
        "like",
    )
)
# Closers removed at the end: "for me", "now", "thanks".
CLOSERS = tuple(phrase.split() for phrase in ("for me", "right now", "asap", "now", "thanks"))
# "like" is kept where it means something ("something like", "would like", "looks like").
LIKE_KEEPERS = frozenset({"would", "something", "looks", "look", "feel", "feels", "things", "i"})
LIKE_COMPARED = frozenset({"a", "an", "the", "this", "that", "these", "those", "it", "mine"})
CONTRACTIONS = {
    "what's": ["what", "is"],
    "whats": ["what", "is"],
    "how's": ["how", "is"],
    "who's": ["who", "is"],
    "where's": ["where", "is"],
    "that's": ["that", "is"],
    "there's": ["there", "is"],
    "it's": ["it", "is"],
    "i'm": ["i", "am"],
    "i'd": ["i", "would"],
    "id": ["i", "would"],  # "id like to" (speech-to-text drops the apostrophe)
    "i've": ["i", "have"],
    "we've": ["we", "have"],
    "let's": ["let", "us"],
    "don't": ["do", "not"],
    "dont": ["do", "not"],
    "doesn't": ["does", "not"],
    "isn't": ["is", "not"],
    "aren't": ["are", "not"],
    "can't": ["can", "not"],
    "won't": ["will", "not"],
    "didn't": ["did", "not"],
}
SPELLINGS = {
    "e-mail": ["email"],
    "txt": ["text"],
    "sms": ["sms"],
    "u": ["you"],
    "ok": ["okay"],
    "rollback": ["roll", "back"],
    "signup": ["sign", "up"],
    "signups": ["sign", "ups"],
    "github": ["github"],
    "deployed": ["deployed"],
}
_NUMBER_GUARDS = frozenset({"this", "that", "the", "which", "any", "every", "each", "no"})
_WORD = re.compile(r"[\w@.'#$%+-]+")


@dataclass
class Utterance:
    """Normalised words (`words`, joined in `low`) and their original spellings."""

    words: list[str] = field(default_factory=list)
    spelled: list[str] = field(default_factory=list)

    @property
    def low(self) -> str:
        return " ".join(self.words)

    @property
    def text(self) -> str:
        """The cleaned utterance, in the person's spelling."""
        return " ".join(s for s in self.spelled if s)

    def original(self, start: int, end: int) -> str:
        """The person's words for the characters `low[start:end]` (word boundaries)."""
        starts, position = [], 0
        for word in self.words:
            starts.append(position)
            position += len(word) + 1
        first = bisect_right(starts, start) - 1
        last = bisect_right(starts, max(end - 1, start)) - 1
        return " ".join(s for s in self.spelled[first : last + 1] if s)


def _split(raw: str) -> list[str]:
    raw = raw.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"')
    raw = re.sub(r"(?<=\d),(?=\d{3}\b)", "", raw)  # 1,000,000
    raw = re.sub(r"\$\s*(?=\d)", "", raw)  # $500
    raw = re.sub(r"#\s*(?=\d)", " number ", raw)  # #12
    raw = re.sub(r"(?i)\be-mail", "email", raw)
    raw = re.sub(r"(?<=[A-Za-z])-(?=[A-Za-z])", " ", raw)  # sign-up, twenty-five
    tokens = []
    for token in _WORD.findall(raw):
        token = token.strip(".'-")
        if token:
            tokens.append(token)
    return tokens


def _expand(token: str) -> list[tuple[str, str]]:
    """One typed token as (normalised, original) words."""
    low = token.lower()
    if low in CONTRACTIONS:
        return [(word, word) for word in CONTRACTIONS[low]]
    if low in SPELLINGS:
        parts = SPELLINGS[low]
        return [(parts[0], token), *((part, "") for part in parts[1:])]
    version = re.fullmatch(r"v(\d+)", low)
    if version:
        return [("version", "version"), (version.group(1), version.group(1))]
    if low.endswith("'s"):
        return [(low[:-2], token[:-2])]
    if low.endswith("s'"):
        return [(low[:-1], token[:-1])]
    if "@" not in low and not re.fullmatch(r"[\d.]+k?", low):
        low = low.replace("'", "")
    return [(low, token)]


def _numbers(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Runs of number words become one digit word (keeping the spoken words as spelled)."""
    words = [low for low, _ in pairs]
    out: list[tuple[str, str]] = []
    index = 0
    while index < len(words):
        found = read_number(words, index)
        guarded = words[index] == "one" and index > 0 and words[index - 1] in _NUMBER_GUARDS
        if found and not guarded and not (words[index] == "a" and found[1] == 1):
            value, used = found
            spelled = " ".join(s for _, s in pairs[index : index + used] if s)
            out.append((format_number(value), spelled))
            index += used
        else:
            out.append(pairs[index])
            index += 1
    return out


def _starts_with(words: list[str], phrase: list[str]) -> bool:
    return words[: len(phrase)] == phrase and len(words) > len(phrase)


def _filler_like(previous: str | None, following: str | None) -> bool:
    """ "like" is a filler unless it compares ("something like", "like the one", "I like")."""
    if previous in LIKE_KEEPERS:
        return False
    return following not in LIKE_COMPARED


def _drop_fillers(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    kept: list[tuple[str, str]] = []
    index = 0
    while index < len(pairs):
        word = pairs[index][0]
        following = pairs[index + 1][0] if index + 1 < len(pairs) else None
        if word in FILLERS:
            index += 1
            continue
        pair_hit = next(
            (
                (first, second)
                for first, second in FILLER_PAIRS
                if word == first and (second is None or following == second)
            ),
            None,
        )
        if pair_hit and not (pair_hit == ("you", "know") and kept and kept[-1][0] == "let"):
            index += 1 if pair_hit[1] is None else 2
            continue
        if word == "like" and _filler_like(kept[-1][0] if kept else None, following):
            index += 1
            continue
        kept.append(pairs[index])
        index += 1
    return kept


def _trim(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    changed = True
    while changed and pairs:
        changed = False
        words = [low for low, _ in pairs]
        for phrase in OPENERS:
            if _starts_with(words, phrase):
                pairs, changed = pairs[len(phrase) :], True
                break
        words = [low for low, _ in pairs]
        for phrase in CLOSERS:
            if len(words) > len(phrase) and words[-len(phrase) :] == phrase:
                pairs, changed = pairs[: -len(phrase)], True
                break
    return pairs


def normalise(raw: str) -> Utterance:
    """Split, spell out, turn number words into digits and drop fillers."""
    pairs = [pair for token in _split(raw) for pair in _expand(token)]
    pairs = _trim(_drop_fillers(_numbers(pairs)))
    return Utterance(words=[low for low, _ in pairs], spelled=[s for _, s in pairs])
