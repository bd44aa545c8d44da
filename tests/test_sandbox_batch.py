"""Batch calls (`SandboxPool.call_many`), in every tier: many inputs of one function in one
round trip, each with its own limits, fresh storage and fresh module state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.sandbox import SandboxPool
from tests.sandbox_helpers import FAST, TIERS, start_pool, write_object

pytestmark = pytest.mark.slow

OBJECT = """
import os
import time
from storage import get, put

SEEN = []


def run(x):
    SEEN.append(x)
    if x == "loop":
        while True:
            pass
    if x == "sleep":
        time.sleep(30)
    if x == "memory":
        return len(bytearray(2 << 30))
    if x == "crash":
        os.abort()
    if x == "exit":
        os._exit(3)
    if x == "fork":
        os.fork()
    if x == "raise":
        raise ValueError("no")
    print("input", x)
    put("count", get("count", 0) + 1)
    with open("note.txt", "a") as handle:
        handle.write("x")
    return [x, len(SEEN), get("count"), open("note.txt").read()]
"""


@pytest.fixture(scope="module", params=TIERS)
def pool(request: pytest.FixtureRequest) -> Iterator[SandboxPool]:
    with start_pool(request.param) as pool:
        yield pool


@pytest.fixture
def code(tmp_path: Path) -> Path:
    return write_object(tmp_path / "batch", OBJECT)


def fresh(x: object) -> list[object]:
    """What an ordinary input returns when nothing carried over from an earlier one."""
    return [x, 1, 11, "x"]


def test_results_come_back_in_order_each_with_fresh_state(pool: SandboxPool, code: Path) -> None:
    inputs = [{"x": n} for n in range(70)]  # more than one batch request
    results = pool.call_many(code, "run", inputs, limits=FAST, storage={"count": 10})
    assert [r.value for r in results] == [fresh(n) for n in range(70)]
    assert all(r.storage_writes == [{"op": "put", "key": "count", "value": 11}] for r in results)
    assert [r.logs.strip() for r in results] == [f"input {n}" for n in range(70)]


def test_one_input_that_fails_does_not_lose_the_others(pool: SandboxPool, code: Path) -> None:
    bad = ["raise", "crash", "exit", "memory", "loop", "fork"]
    inputs = [{"x": value} for pair in zip(range(len(bad)), bad, strict=True) for value in pair]
    inputs += [{"x": 99}, {"wrong": 1}]
    results = pool.call_many(code, "run", inputs, limits=FAST)
    outcomes = {i["x"]: r for i, r in zip(inputs, results, strict=True) if "x" in i}
    for n in [*range(len(bad)), 99]:
        assert outcomes[n].ok and outcomes[n].value == [n, 1, 1, "x"], outcomes[n]
        assert outcomes[n].logs.strip() == f"input {n}"
    kinds = {value: (outcomes[value].error_kind, outcomes[value].error_type) for value in bad}
    assert kinds.pop("loop")[0] == "timeout"  # CPU or wall clock, whichever a busy machine hits
    assert kinds == {
        "raise": ("error", "ValueError"),
        "crash": ("error", "Crashed"),
        "exit": ("error", "Exited"),
        "memory": ("memory", "MemoryError"),
        "fork": ("forbidden", "ForbiddenSystemCall"),
    }
    assert (results[-1].error_kind, results[-1].error_type) == ("input", "BadArguments")
    assert all(r.storage_writes == [] for r in results if not r.ok)


def test_each_input_has_its_own_wall_clock_limit(pool: SandboxPool, code: Path) -> None:
    limits = FAST.replace(wall_seconds=0.5)
    inputs = [{"x": 1}, {"x": "sleep"}, {"x": 2}, {"x": "sleep"}, {"x": 3}]
    results = pool.call_many(code, "run", inputs, limits=limits)
    assert [r.error_type for r in results[1::2]] == ["WallTimeLimit", "WallTimeLimit"]
    assert [r.value for r in results[::2]] == [
        [1, 1, 1, "x"],
        [2, 1, 1, "x"],
        [3, 1, 1, "x"],
    ]


def test_the_batch_has_a_total_time(pool: SandboxPool, code: Path) -> None:
    inputs = [{"x": "sleep"}] * 4
    limits = FAST.replace(wall_seconds=0.4)
    results = pool.call_many(code, "run", inputs, limits=limits, total_seconds=1.0)
    assert results[0].error_type == "WallTimeLimit"
    assert results[-1].error_type == "BatchTimeLimit" and results[-1].error_kind == "timeout"


def test_bad_storage_fails_every_input(pool: SandboxPool, code: Path) -> None:
    results = pool.call_many(code, "run", [{"x": 1}, {"x": 2}], storage={"k": {1, 2}})  # type: ignore[dict-item]
    assert [r.error_kind for r in results] == ["input", "input"]


MODULES = """
import functools

import helpers
from pkg import sub


def keep(function):
    @functools.wraps(function)
    def inner(*args, **kwargs):
        return function(*args, **kwargs)

    return inner


def run(x):
    from space import part  # a namespace package, imported during the call

    if x == "broken":
        import broken
    return [helpers.note(x), sub.bump(), part.add(x)]


@keep
def wrapped(a, b=2):
    return a + b


def listing():
    import os
    import pkgutil

    return sorted(m.name for m in pkgutil.iter_modules([os.path.dirname(__file__)]))
"""
HELPERS = {
    "helpers.py": "CALLS = []\n\ndef note(x):\n    CALLS.append(x)\n    return len(CALLS)\n",
    "pkg/__init__.py": "STATE = {'n': 0}\n",
    "pkg/sub.py": "from pkg import STATE\n\ndef bump():\n    STATE['n'] += 1\n"
    "    return STATE['n']\n",
    "space/part.py": "SEEN = []\n\ndef add(x):\n    SEEN.append(x)\n    return len(SEEN)\n",
    "broken.py": "def oops(:\n",
}


def test_every_module_of_the_object_is_fresh_for_each_input(
    pool: SandboxPool, tmp_path: Path
) -> None:
    code = write_object(tmp_path / "modules", MODULES, HELPERS)
    inputs = [{"x": x} for x in (1, "broken", 2, "broken", 3)]
    results = pool.call_many(code, "run", inputs, limits=FAST)
    assert [r.value for r in results[::2]] == [[1, 1, 1]] * 3
    single = pool.call(code, "run", {"x": "broken"}, limits=FAST)
    assert single.error_type == "SyntaxError"
    assert [(r.error_kind, r.error_type, r.message, r.where) for r in results[1::2]] == [
        (single.error_kind, single.error_type, single.message, single.where)
    ] * 2
    # Lookups from the object's folder go through the batch's own finder: pkgutil still
    # lists what is there.
    listed = pool.call_many(code, "listing", [{}, {}], limits=FAST)
    assert [r.value for r in listed] == [pool.call(code, "listing", {}, limits=FAST).value] * 2
    assert {"helpers", "main", "pkg"} <= set(listed[0].value)


def test_arguments_are_checked_against_each_function_as_in_a_call(
    pool: SandboxPool, tmp_path: Path
) -> None:
    code = write_object(tmp_path / "modules", MODULES, HELPERS)
    inputs = [{"a": 1}, {"a": 1, "c": 3}, {"a": 1, "b": 5}, {}]
    results = pool.call_many(code, "wrapped", inputs, limits=FAST)
    singles = [pool.call(code, "wrapped", args, limits=FAST) for args in inputs]
    assert [r.value for r in results] == [3, None, 6, None]
    assert [(r.error_kind, r.message) for r in results] == [
        (r.error_kind, r.message) for r in singles
    ]
    assert results[1].error_kind == "input" and "unexpected keyword" in results[1].message
