"""Batch calls (`SandboxPool.call_many`, and `call_each` for inputs of several functions), in
every tier: many inputs in one round trip, each with its own limits, fresh storage and fresh
module state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.sandbox import SandboxPool
from backend.sandbox.pool import BATCH_REQUEST_BYTES, _chunks
from tests.support.sandbox_helpers import FAST, TIERS, start_pool, write_object

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


# Inputs of several functions in one batch (`SandboxPool.call_each`) ----------------------

MIXED = (
    OBJECT
    + """

def double(n):
    SEEN.append(n)
    print("double", n)
    if n < 0:
        return "negative"
    return [n * 2, len(SEEN)]


def greet(name, mark="!"):
    SEEN.append(name)
    print("greet", name)
    return f"hello {name}{mark} {len(SEEN)}"
"""
)


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    return write_object(tmp_path / "mixed", MIXED)


def test_inputs_of_several_functions_come_back_in_order(pool: SandboxPool, mixed: Path) -> None:
    calls = [
        call
        for n in range(30)
        for call in (("double", {"n": n}), ("run", {"x": n}), ("greet", {"name": f"g{n}"}))
    ]
    # Several batch requests, each of them mixed, and a chunk size that doesn't divide the
    # number of functions.
    results = pool.call_each(mixed, calls, limits=FAST, storage={"count": 10}, batch_inputs=16)
    assert [r.value for r in results] == [
        value for n in range(30) for value in ([2 * n, 1], fresh(n), f"hello g{n}! 1")
    ]
    assert [r.logs.strip() for r in results] == [
        line for n in range(30) for line in (f"double {n}", f"input {n}", f"greet g{n}")
    ]
    writes = [[], [{"op": "put", "key": "count", "value": 11}], []]
    assert [r.storage_writes for r in results] == writes * 30
    # `call_many` is `call_each` with one function: the same answers.
    runs = pool.call_many(mixed, "run", [args for _, args in calls[1::3]], storage={"count": 10})
    assert [r.value for r in runs] == [r.value for r in results[1::3]]


def test_a_failing_input_of_one_function_leaves_the_others_alone(
    pool: SandboxPool, mixed: Path
) -> None:
    # Each failure ends a child; the next one goes on from the next input, which is of
    # another function.
    bad = ["crash", "loop", "memory", "exit", "fork", "raise", "sleep"]
    calls: list[tuple[str, dict[str, object]]] = []
    for n, value in enumerate(bad):
        calls += [("run", {"x": value}), ("greet", {"name": value}), ("double", {"n": n})]
    results = pool.call_each(mixed, calls, limits=FAST.replace(wall_seconds=1.0))
    kinds = {v: (r.error_kind, r.error_type) for v, r in zip(bad, results[::3], strict=True)}
    assert kinds.pop("loop")[0] == "timeout"  # CPU or wall clock, whichever a busy machine hits
    assert kinds == {
        "crash": ("error", "Crashed"),
        "memory": ("memory", "MemoryError"),
        "exit": ("error", "Exited"),
        "fork": ("forbidden", "ForbiddenSystemCall"),
        "raise": ("error", "ValueError"),
        "sleep": ("timeout", "WallTimeLimit"),
    }
    assert [r.value for r in results[1::3]] == [f"hello {value}! 1" for value in bad]
    assert [r.value for r in results[2::3]] == [[2 * n, 1] for n in range(len(bad))]
    assert [r.logs.strip() for r in results[2::3]] == [f"double {n}" for n in range(len(bad))]


def test_a_function_that_times_out_is_given_up_on_in_that_batch(
    pool: SandboxPool, mixed: Path
) -> None:
    # With give_up_after=1, the first timeout of run() skips its later inputs in the
    # batch; the other function's inputs all run.
    calls = [call for n in range(4) for call in (("run", {"x": "sleep"}), ("double", {"n": n}))]
    limits = FAST.replace(wall_seconds=0.5)
    results = pool.call_each(mixed, calls, limits=limits, give_up_after=1)
    assert [r.error_type for r in results[::2]] == ["WallTimeLimit"] + ["GivenUpAfterTimeouts"] * 3
    assert "run timed out on 1 earlier input(s)" in results[2].message
    assert [r.value for r in results[1::2]] == [[2 * n, 1] for n in range(4)]
    # Without it (the default), every input gets its own try.
    each = pool.call_each(mixed, calls[:4], limits=limits)
    assert [r.error_type for r in each[::2]] == ["WallTimeLimit", "WallTimeLimit"]


def test_function_names_and_arguments_are_checked_per_input(pool: SandboxPool, mixed: Path) -> None:
    calls: list[tuple[object, object]] = [
        ("double", {"n": 1}),
        ("_private", {"n": 1}),  # refused on the host: not a public name
        ("greet", {"name": "a"}),
        ("missing", {"n": 1}),  # refused in the sandbox: main.py has no such function
        ("double", {"m": 1}),  # refused by the function's signature
        ("greet", ["a"]),  # not a JSON object
        ("double", {"n": {1, 2}}),  # not JSON
        (3, {}),
        ("greet", {"name": "b", "mark": "?"}),
    ]
    results = pool.call_each(mixed, calls, limits=FAST)  # type: ignore[arg-type]
    assert [(r.value, r.error_kind, r.error_type) for r in results] == [
        ([2, 1], None, ""),
        (None, "input", "BadArguments"),  # the host's word: nothing ran
        ("hello a! 1", None, ""),
        (None, "input", "UnknownFunction"),
        (None, "input", "BadArguments"),  # the signature's word
        (None, "input", "BadArguments"),
        (None, "input", "BadArguments"),
        (None, "input", "BadArguments"),
        ("hello b? 1", None, ""),
    ]
    # Each as a call of that function alone says.
    singles = [pool.call(mixed, f, a, limits=FAST) for f, a in calls]  # type: ignore[arg-type]
    assert [(r.error_kind, r.error_type, r.message) for r in results] == [
        (r.error_kind, r.error_type, r.message) for r in singles
    ]
    assert "no function 'missing'" in results[3].message and "double()" in results[4].message
    refused = pool.call_each(mixed, calls[:3], storage={"k": {1}})  # type: ignore[arg-type, dict-item]
    assert [r.error_kind for r in refused] == ["input"] * 3
    assert pool.call_each(mixed, []) == []


def test_each_input_of_a_mixed_batch_has_its_own_arcs(pool: SandboxPool, mixed: Path) -> None:
    calls: list[tuple[str, dict[str, object]]] = [
        ("double", {"n": 1}),
        ("greet", {"name": "a"}),
        ("run", {"x": "crash"}),
        ("double", {"n": -1}),
        ("run", {"x": "raise"}),
        ("greet", {"name": "b", "mark": "?"}),
        ("double", {"n": 2}),
    ]
    results = pool.call_each(mixed, calls, limits=FAST, trace=True)
    alone = [pool.call_many(mixed, f, [a], limits=FAST, trace=True)[0] for f, a in calls]
    assert [r.arcs for r in results] == [r.arcs for r in alone]
    assert results[2].arcs is None  # it crashed
    positive, negative, again = results[0].arcs, results[3].arcs, results[6].arcs
    assert positive and negative and positive == again and positive != negative
    assert results[1].arcs == results[5].arcs and results[1].arcs != positive


def test_a_batch_request_is_cut_by_count_and_by_the_size_of_its_arguments() -> None:
    big = BATCH_REQUEST_BYTES // 3
    sizes = {0: 10, 2: big, 3: big, 5: big, 6: 10, 7: 10, 9: 10}
    assert _chunks(list(sizes), sizes, 3) == [[0, 2, 3], [5, 6, 7], [9]]
    sizes[3] = 2 * big
    assert _chunks(list(sizes), sizes, 3) == [[0, 2], [3, 5], [6, 7, 9]]
    assert _chunks([], {}, 3) == []
