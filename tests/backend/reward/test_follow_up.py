"""The differential check's second round and branch coverage (issue 13, item 1).

No sandbox here: arcs are traced in this process with the tracer's conventions, and the
parent's outcomes are made up, so each test says exactly what the round learns from.
"""

from __future__ import annotations

import sys
from typing import Any

from backend.reward.branches import Branches, main_arcs
from backend.reward.follow_up import Ran, cover_inputs, follow_up, nudge, probe_inputs
from backend.reward.inputs import plan_inputs
from backend.sandbox import CallResult

SOURCE = '''"""Ranges."""


def clamp(value, low, high):
    """`value` limited to [low, high]."""
    if low > high:
        raise ValueError("empty range")
    return max(low, min(value, high))


def grade(score: int) -> str:
    if score >= 90:
        return "A"
    elif score >= 50:
        return "pass"
    for _ in range(3):
        score += 1
    return "fail"
'''


def _traced(function: str, *args: Any) -> set[tuple[int, int]]:
    """The arcs a call runs in SOURCE, as the sandbox's tracer records them."""
    code = compile(SOURCE, "main.py", "exec")
    namespace: dict[str, Any] = {}
    exec(code, namespace)
    arcs: set[tuple[int, int]] = set()

    def start(frame, event, arg):
        if frame.f_code.co_filename != "main.py":
            return None
        first = frame.f_code.co_firstlineno
        last = [-first]

        def local(frame, event, arg):
            if event == "line":
                arcs.add((last[0], frame.f_lineno))
                last[0] = frame.f_lineno
            elif event == "return":
                arcs.add((last[0], -first))
            return local

        return local

    sys.settrace(start)
    try:
        namespace[function](*args)
    except ValueError:
        pass
    finally:
        sys.settrace(None)
    return arcs


def test_branch_coverage_counts_the_branch_arcs_a_function_took():
    branches = Branches(SOURCE)
    assert len(branches.by_function["grade"]) == 6  # two ifs and a loop, two ways each
    a = _traced("grade", 95)
    assert branches.summary("grade", a) == {"covered": 1, "total": 6}
    every = a | _traced("grade", 60) | _traced("grade", 10)
    assert branches.summary("grade", every) == {"covered": 6, "total": 6}
    assert branches.summary("missing", every) is None
    assert Branches("def broken(:\n").by_function == {}


def test_traced_arcs_are_shape_checked():
    assert main_arcs({"main.py": [[1, 2], [-1, 3]], "other.py": [[5, 6]]}) == {(1, 2), (-1, 3)}
    assert main_arcs({"main.py": [[1, "2"], [1], "x", [True, 2]]}) == set()
    assert main_arcs(None) == set() and main_arcs({"main.py": 5}) == set()


def _plan(count: int = 8):
    files = {"main.py": SOURCE}
    return plan_inputs(files, files, exported={"clamp", "grade"}, count=count)


def _ran(function: str, args: dict[str, Any], result: CallResult, arcs=frozenset()) -> Ran:
    return Ran(function, args, result, set(arcs), set(arcs))


OK = CallResult(ok=True, value=1)
TYPE_ERROR = CallResult(ok=False, error_kind="error", error_type="TypeError")


def test_probing_keeps_to_the_kinds_of_values_the_parent_accepted_together():
    plan = _plan()
    runs = [
        _ran("clamp", {"value": 5, "low": 0, "high": 10}, OK),
        _ran("clamp", {"value": "a", "low": 0, "high": 10}, TYPE_ERROR),
        _ran("clamp", {"value": [1], "low": None, "high": {}}, TYPE_ERROR),
    ]
    found = probe_inputs(plan.makers["clamp"], runs, 12, seed="clamp")
    assert len(found) >= 8
    for args in found:
        assert all(isinstance(args[name], int | float) for name in ("value", "low", "high"))
    # Nothing refused (or nothing accepted): nothing to learn.
    assert probe_inputs(plan.makers["clamp"], runs[:1], 12, seed="clamp") == []
    assert probe_inputs(plan.makers["clamp"], runs[1:], 12, seed="clamp") == []


def test_inputs_are_nudged_from_those_that_reached_an_untaken_branch():
    plan = _plan()
    branches = Branches(SOURCE)
    start = {"score": 95}
    arcs = _traced("grade", 95)
    missing = {"new": {arc[0] for arc in branches.missing("grade", arcs)}}
    found = cover_inputs(
        plan.makers["grade"], [_ran("grade", start, OK, arcs)], missing, 10, seed="g"
    )
    assert 0 < len(found) <= 10 and start not in found
    assert all(isinstance(args["score"], int) for args in found)
    assert any(args["score"] in (94, 96, -95, 190, 47, 0) for args in found)
    assert cover_inputs(plan.makers["grade"], [], missing, 10, seed="g") == []


def test_the_second_round_tags_its_inputs_and_repeats_none():
    plan = _plan()
    ran = {
        "clamp": [
            _ran("clamp", args, OK if isinstance(args.get("value"), int) else TYPE_ERROR)
            for args in plan.cases["clamp"]
        ],
        "grade": [
            _ran("grade", args, OK, _traced("grade", args["score"]))
            for args in plan.cases["grade"][:1]
        ],
    }
    branches = {"parent": Branches(SOURCE), "new": Branches(SOURCE)}
    more = follow_up(plan, ran, branches, 6)
    assert {source for _, source in more.get("clamp", [])} <= {"probe", "coverage"}
    assert more["grade"] and {source for _, source in more["grade"]} == {"coverage"}
    for name, tagged in more.items():
        assert len(tagged) <= 6
        assert not any(args in plan.cases[name] for args, _ in tagged)


def test_nudges_keep_the_kind_of_value():
    import random

    rng = random.Random(1)
    for value in (0, 7, -3.5, "", "Hello", [], [1, 2], {"a": 1}, True):
        for _ in range(20):
            moved = nudge(value, rng)
            assert type(moved) is type(value) or isinstance(value, int | float)
