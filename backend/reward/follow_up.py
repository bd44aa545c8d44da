"""The differential check's second round: inputs chosen from what the first round showed.

Two things a careful tester does after a first look:
- **probe** the parameters that have no type hint: the first round gave them JSON values of
  every kind; the kinds the parent accepted (it returned, or failed on something other than
  a TypeError or AttributeError) are what its callers send. New inputs take the kinds of an
  accepted input together (all numbers, say, where mixing a number and a string fails) and
  values shaped like its values;
- **cover** the branches no input took, in the parent or the new version: the inputs that
  reached the line where such a branch leaves are nudged one parameter at a time (a number
  one up or down, halved or doubled, negated; a string or list one item longer or shorter,
  empty, upper-cased...), the way one steers a test towards the other side of a decision.

Each function gets at most `count` more inputs, split between the two; none it already ran.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from backend.reward.branches import Arc, Branches
from backend.reward.inputs import FunctionInputs, Plan, shape_strategy
from backend.reward.literals import key
from backend.sandbox import CallResult

REFUSALS = ("TypeError", "AttributeError")  # a parent that refuses a kind of value says so


@dataclass
class Ran:
    """One input of the first round, with both versions' outcomes and arcs in main.py."""

    function: str
    args: dict[str, Any]
    parent: CallResult
    parent_arcs: set[Arc]
    new_arcs: set[Arc]


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    return "number" if isinstance(value, int | float) else type(value).__name__


def _accepted(result: CallResult) -> bool:
    return result.ok or (result.error_kind == "error" and result.error_type not in REFUSALS)


def probe_inputs(
    maker: FunctionInputs, ran: list[Ran], count: int, *, seed: str
) -> list[dict[str, Any]]:
    """Inputs whose untyped parameters take the kinds of values the parent accepted
    together, shaped like them; none when nothing was refused (any JSON will do) or nothing
    was accepted (nothing to learn from)."""
    untyped = [p.name for p in maker.params if not p.typed]
    if not untyped or count <= 0:
        return []
    accepted = [run.args for run in ran if _accepted(run.parent)]
    if not accepted or len(accepted) == len(ran):
        return []
    templates: dict[tuple[str, ...], dict[str, Any]] = {}
    for args in accepted:
        templates.setdefault(tuple(_kind(args.get(name)) for name in untyped), args)
    found: list[dict[str, Any]] = []
    share = max(1, count // len(templates))
    for index, template in enumerate(templates.values()):
        generators = {
            name: gen
            for name in untyped
            if name in template and (gen := shape_strategy(template[name])) is not None
        }
        like = {name: template[name] for name in generators}
        found += maker.draw(share, seed=f"{seed}:probe:{index}", generators=generators, like=like)
    return found[:count]


# Nudges: one parameter of an input moved a little ------------------------------------------


def _nudge_number(value: int | float, rng: random.Random) -> Any:
    if isinstance(value, int):
        return rng.choice((value + 1, value - 1, -value, value * 2, value // 2, 0))
    return rng.choice((value + 1, value - 1, -value, value * 2, value / 2, round(value), 0.0))


def _nudge_text(value: str, rng: random.Random) -> str:
    if not value:
        return rng.choice(("a", " ", "A1", "a b"))
    spot = rng.randrange(len(value))
    return rng.choice(
        (
            value[:-1],
            value + value[-1],
            value[:spot] + value[spot + 1 :],
            value.upper(),
            value.lower(),
            value.swapcase(),
            value + " " + value,
            "",
        )
    )


def _nudge_list(value: list[Any], rng: random.Random) -> list[Any]:
    if not value:
        return rng.choice(([0], [""], [1, 2]))
    return rng.choice(
        (value[:-1], value + value[-1:], value[::-1], [], [nudge(value[0], rng), *value[1:]])
    )


def nudge(value: Any, rng: random.Random) -> Any:
    """A value a little different from `value`, of the same kind."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return _nudge_number(value, rng)
    if isinstance(value, str):
        return _nudge_text(value, rng)
    if isinstance(value, list):
        return _nudge_list(value, rng)
    if isinstance(value, dict) and value:
        name = rng.choice(sorted(value))
        return {**value, name: nudge(value[name], rng)}
    return value


def cover_inputs(
    maker: FunctionInputs,
    ran: list[Ran],
    missing: Mapping[str, set[int]],
    count: int,
    *,
    seed: str,
) -> list[dict[str, Any]]:
    """Inputs nudged from those that reached a line where an untaken branch leaves
    (`missing`: per side, those lines); from any input when none reached one."""
    if count <= 0 or not any(missing.values()) or not ran:
        return []

    def reached(run: Ran) -> bool:
        return any(
            arc[0] in missing.get(side, set()) or arc[1] in missing.get(side, set())
            for side, arcs in (("parent", run.parent_arcs), ("new", run.new_arcs))
            for arc in arcs
        )

    starts = [run.args for run in ran if reached(run)] or [run.args for run in ran]
    rng = random.Random(f"cover:{seed}")
    found: dict[str, dict[str, Any]] = {}
    for _ in range(count * 8):
        if len(found) >= count:
            break
        args = dict(rng.choice(starts))
        if not args:
            break
        name = rng.choice(sorted(args))
        args[name] = nudge(args[name], rng)
        if maker.fits(args):
            found.setdefault(key(args), args)
    return list(found.values())


def follow_up(
    plan: Plan,
    ran: Mapping[str, list[Ran]],
    branches: Mapping[str, Branches],
    count: int,
) -> dict[str, list[tuple[dict[str, Any], str]]]:
    """The second round's inputs per function, tagged "probe" or "coverage", none already
    run: up to `count` per function, half for each need when both apply."""
    chosen: dict[str, list[tuple[dict[str, Any], str]]] = {}
    for name, runs in ran.items():
        maker = plan.makers.get(name)
        if maker is None or not runs:
            continue
        seen = {key(args) for args in plan.cases.get(name, [])}
        missing = {
            side: {arc[0] for arc in version.missing(name, _arcs(runs, side))}
            for side, version in branches.items()
        }
        needs: list[tuple[str, Callable[[int], list[dict[str, Any]]]]] = []
        if any(not p.typed for p in maker.params):
            needs.append(("probe", partial(probe_inputs, maker, runs, seed=name)))
        if any(missing.values()):
            needs.append(("coverage", partial(cover_inputs, maker, runs, missing, seed=name)))
        tagged: list[tuple[dict[str, Any], str]] = []
        for index, (source, make) in enumerate(needs):
            share = count // len(needs) + (index < count % len(needs))
            for args in make(share):
                if (k := key(args)) not in seen:
                    seen.add(k)
                    tagged.append((args, source))
        if tagged:
            chosen[name] = tagged
    return chosen


def _arcs(runs: list[Ran], side: str) -> set[Arc]:
    return set().union(*((r.parent_arcs if side == "parent" else r.new_arcs) for r in runs))
