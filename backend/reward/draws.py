"""Random JSON values of a given shape, drawn the same way on every run.

The differential check needs a few dozen varied inputs per function in milliseconds, so the
values come from small generators over a seeded `random.Random` rather than a property-based
testing engine (a hypothesis run per function cost more than running the inputs did). The
draws lean, as a tester's would, towards the values where code goes wrong: zero, one, minus
one, small numbers before large ones, the empty string and the empty list, one element, the
ends of a range; and they stay readable (mostly printable ASCII) with some Unicode.

A `Gen` is a function of a `random.Random`; `draw` collects distinct values from it.
"""

from __future__ import annotations

import math
import random
import string
from collections.abc import Callable, Sequence
from typing import Any

from backend.reward.literals import key

Gen = Callable[[random.Random], Any]

INT_BOUND = 10**6  # wide enough for arithmetic bugs, small enough for `range(n)` to finish
FLOAT_BOUND = 1e9
MAX_TEXT = 20
MAX_ITEMS = 5
ATTEMPTS_PER_VALUE = 8  # small domains (a bool) run out of new values: stop looking then
_PRINTABLE = string.ascii_letters + string.digits + string.punctuation + " "
_WORDY = string.ascii_lowercase + string.ascii_lowercase + string.digits + "  -_.,"
_SPECIAL_TEXT = ["", " ", "a", "A", "0", "-1", "abc", "a b", "  x  ", "é", "ß", "💡", "\n", "\t"]


def _weighted(rng: random.Random, choices: Sequence[tuple[float, Gen]]) -> Any:
    pick = rng.random() * sum(weight for weight, _ in choices)
    for weight, gen in choices:
        pick -= weight
        if pick < 0:
            return gen(rng)
    return choices[-1][1](rng)


def integers(low: int = -INT_BOUND, high: int = INT_BOUND) -> Gen:
    """Mostly small magnitudes, sometimes the ends of the range or anything in it."""
    specials = [v for v in (0, 1, -1, 2, low, high, low + 1, high - 1) if low <= v <= high]

    def within(limit: int) -> Gen:
        return lambda rng: rng.randint(max(low, -limit), min(high, limit))

    return lambda rng: _weighted(
        rng,
        [
            (0.15, lambda r: r.choice(specials)),
            (0.35, within(10)),
            (0.25, within(100)),
            (0.15, within(10_000)),
            (0.10, within(max(abs(low), abs(high)))),
        ],
    )


def floats(bound: float = FLOAT_BOUND) -> Gen:
    """Whole numbers (as ints, which JSON callers send too), short decimals, tiny and huge
    magnitudes, and the usual suspects (0.0, 0.5, -0.5)."""
    specials = [0.0, 0.5, -0.5, 1.0, -1.0, 0.1, 1e-9, bound, -bound]

    def decimal(limit: float, places: int) -> Gen:
        return lambda rng: round(rng.uniform(-limit, limit), places)

    return lambda rng: _weighted(
        rng,
        [
            (0.15, lambda r: r.choice(specials)),
            (0.20, integers(-1000, 1000)),
            (0.25, decimal(10, 2)),
            (0.20, decimal(1000, 3)),
            (0.10, lambda r: r.uniform(-bound, bound)),
            (0.10, lambda r: math.copysign(r.random() * 10 ** r.randint(-12, 9), r.random() - 0.5)),
        ],
    )


def _length(rng: random.Random, most: int) -> int:
    """0 and 1 often (empty, one element), then anything up to `most`."""
    roll = rng.random()
    if roll < 0.15 or most == 0:
        return 0
    if roll < 0.35:
        return min(1, most)
    return rng.randint(1, most)


def _code_point(rng: random.Random) -> str:
    while True:
        point = rng.choice((rng.randint(0xA0, 0x2FF), rng.randint(0x370, 0xFFFF)))
        if not 0xD800 <= point <= 0xDFFF:  # surrogates aren't text
            return chr(point)


def text(max_size: int = MAX_TEXT) -> Gen:
    """Strings: sentences, word-like, any printable ASCII, a few well-known awkward ones,
    some Unicode."""

    def from_alphabet(alphabet: str) -> Gen:
        return lambda rng: "".join(rng.choice(alphabet) for _ in range(_length(rng, max_size)))

    def unicode(rng: random.Random) -> str:
        size = _length(rng, max_size)
        return "".join(
            _code_point(rng) if rng.random() < 0.5 else rng.choice(_PRINTABLE) for _ in range(size)
        )

    def sentence(rng: random.Random) -> str:
        """Words of lowercase letters, one space apart: what text helpers mostly get."""
        words = [
            "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(1, 6)))
            for _ in range(rng.randint(2, 5))
        ]
        return " ".join(words)[:max_size]

    specials = [s for s in _SPECIAL_TEXT if len(s) <= max_size]
    return lambda rng: _weighted(
        rng,
        [
            (0.15, lambda r: r.choice(specials)),
            (0.20, sentence),
            (0.25, from_alphabet(_WORDY)),
            (0.25, from_alphabet(_PRINTABLE)),
            (0.15, unicode),
        ],
    )


def booleans() -> Gen:
    return lambda rng: rng.random() < 0.5


def none() -> Gen:
    return lambda rng: None


def just(value: Any) -> Gen:
    return lambda rng: value


def one_of(*gens: Gen) -> Gen:
    if len(gens) == 1:
        return gens[0]
    return lambda rng: rng.choice(gens)(rng)


def sampled_from(values: Sequence[Any]) -> Gen:
    values = list(values)
    return lambda rng: rng.choice(values)


def sometimes(values: Sequence[Any], otherwise: Gen, share: float) -> Gen:
    """One of `values` with probability `share`, else a draw of `otherwise`."""
    if not values:
        return otherwise
    pick = sampled_from(values)
    return lambda rng: pick(rng) if rng.random() < share else otherwise(rng)


def lists(element: Gen, max_size: int = MAX_ITEMS) -> Gen:
    return lambda rng: [element(rng) for _ in range(_length(rng, max_size))]


def dictionaries(keys: Gen, values: Gen, max_size: int = MAX_ITEMS) -> Gen:
    return lambda rng: {keys(rng): values(rng) for _ in range(_length(rng, max_size))}


def json_values(depth: int = 2) -> Gen:
    """Small JSON values of any shape (Any, bare list/dict, unannotated parameters)."""
    scalar = one_of(none(), booleans(), integers(-1000, 1000), floats(1e6), text())
    if depth <= 0:
        return scalar
    inner = json_values(depth - 1)
    nested = one_of(lists(inner), dictionaries(text(8), inner))
    return lambda rng: scalar(rng) if rng.random() < 0.6 else nested(rng)


def fixed_dictionaries(required: dict[str, Gen], optional: dict[str, Gen]) -> Gen:
    """Every required key; each optional one half the time (else left to its default)."""

    def gen(rng: random.Random) -> dict[str, Any]:
        found = {name: each(rng) for name, each in required.items()}
        for name, each in optional.items():
            if rng.random() < 0.5:
                found[name] = each(rng)
        return found

    return gen


def sized(gen: Gen, counts: Sequence[str], sized_names: Sequence[str], share: float = 0.4) -> Gen:
    """Argument dicts from `gen` where, with probability `share`, a count parameter is set
    to the length of a string or list parameter's value, or one either side: where code
    that compares a length with a width or a limit decides."""
    if not counts or not sized_names:
        return gen

    def related(rng: random.Random) -> dict[str, Any]:
        args = gen(rng)
        count, other = rng.choice(counts), rng.choice(sized_names)
        if rng.random() < share and isinstance(args.get(other), str | list):
            args[count] = max(0, len(args[other]) + rng.choice((-1, 0, 0, 1)))
        return args

    return related


class _Simplest(random.Random):
    """A source of randomness that always takes the first choice: every generator's first
    special value (0, "", [], None...), the value a tester tries first."""

    def random(self) -> float:
        return 0.0

    def choice(self, seq: Sequence[Any]) -> Any:
        return seq[0]

    def randint(self, a: int, b: int) -> int:
        return a

    def uniform(self, a: float, b: float) -> float:
        return a


def draw(gen: Gen, count: int, *, seed: str = "") -> list[Any]:
    """Up to `count` distinct values of `gen`, the same ones on every run for one `seed`:
    the simplest value first, then seeded draws."""
    if count <= 0:
        return []
    first = gen(_Simplest())
    found: dict[str, Any] = {key(first): first}
    rng = random.Random(f"draws:{seed}")
    for _ in range(count * ATTEMPTS_PER_VALUE):
        if len(found) >= count:
            break
        value = gen(rng)
        found.setdefault(key(value), value)
    return list(found.values())
