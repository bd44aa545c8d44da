"""Branch tracing in batch calls (`SandboxPool.call_many(..., trace=True)`): the line arcs of
each input's function call in the object's own files, in coverage.py's conventions."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.sandbox import SandboxPool
from backend.sandbox.results import CallResult, traced_arcs
from backend.sandbox.runtime import tracer
from tests.support.sandbox_helpers import FAST, TIERS, start_pool, write_object

MAIN = """\
import os

import helper
import storage

READY = helper.setup()


def choose(x):
    if x > 0:
        y = "pos"
    else:
        y = "neg"
    return helper.twice(y)


def total(n):
    return sum(helper.evens(n))


def boom(x):
    if x:
        raise ValueError("no")
    return 1


def crash(x):
    if x:
        os.abort()
    return x


def stored(x):
    storage.put("x", x)
    import test_main

    return test_main.check(storage.get("x"))


def straight():
    x = 0
{straight}
    return x


def spin(n):
    t = 0
    for i in range(n):
        t += i
    return t


def evens_themselves(n):
    for i in range(n):
        yield i


def tamper(how):
    import sys

    state = sys.gettrace().__self__
    if how == "stop":
        sys.settrace(None)
        return 1
    if how == "outside":
        state.files["/etc/passwd.py"] = {{(1, 2)}}
    if how == "shape":
        state.files[state.prefix + "main.py"].add((1.5, 2.5))
    return 2
"""
HELPER = """\
def setup():
    ready = True
    return ready


def twice(s):
    return s * 2


def evens(n):
    for i in range(n):
        if i % 2 == 0:
            yield i
"""
TEST_FILE = """\
def check(x):
    return x


def test_check():
    assert check(1) == 1
"""
STRAIGHT = 6000  # statements in a row: more distinct arcs than a call may return


MAIN_SOURCE = MAIN.format(straight="\n".join(["    x += 1"] * STRAIGHT))


def line(text: str, source: str = MAIN_SOURCE) -> int:
    """The number of the line of `source` that is `text` once stripped (exactly one)."""
    found = [n for n, t in enumerate(source.splitlines(), 1) if t.strip() == text]
    assert len(found) == 1, (text, found)
    return found[0]


def arcs(*pairs: tuple[int, int]) -> list[list[int]]:
    return sorted([a, b] for a, b in pairs)


@pytest.fixture(scope="module", params=TIERS)
def pool(request: pytest.FixtureRequest) -> Iterator[SandboxPool]:
    with start_pool(request.param) as pool:
        yield pool


@pytest.fixture(scope="module")
def code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_object(
        tmp_path_factory.mktemp("trace") / "object",
        MAIN_SOURCE,
        {"helper.py": HELPER, "test_main.py": TEST_FILE},
    )


def traced(pool: SandboxPool, code: Path, function: str, *inputs: Any) -> list[CallResult]:
    return pool.call_many(code, function, [dict(i) for i in inputs], limits=FAST, trace=True)


@pytest.mark.slow
def test_each_input_gets_the_arcs_of_the_arm_it_took(pool: SandboxPool, code: Path) -> None:
    pos, neg = traced(pool, code, "choose", {"x": 1}, {"x": -1})
    assert (pos.value, neg.value) == ("pospos", "negneg")
    first, test = line("def choose(x):"), line("if x > 0:")
    then, otherwise = line('y = "pos"'), line('y = "neg"')
    returns = line("return helper.twice(y)")
    twice = line("def twice(s):", HELPER)
    helper = arcs((-twice, twice + 1), (twice + 1, -twice))
    assert pos.arcs == {
        "helper.py": helper,
        "main.py": arcs((-first, test), (test, then), (then, returns), (returns, -first)),
    }
    assert neg.arcs == {
        "helper.py": helper,
        "main.py": arcs((-first, test), (test, otherwise), (otherwise, returns), (returns, -first)),
    }


@pytest.mark.slow
def test_generators_are_traced_as_coverage_does(pool: SandboxPool, code: Path) -> None:
    (result,) = traced(pool, code, "total", {"n": 3})
    assert result.value == 2
    first = line("def evens(n):", HELPER)
    loop, test, step = first + 1, first + 2, first + 3
    assert result.arcs is not None
    # Entered once by a call; each resume continues from the yield; a yield adds no exit.
    assert result.arcs["helper.py"] == arcs(
        (-first, loop), (loop, test), (test, step), (step, loop), (test, loop), (loop, -first)
    )
    # The exported function may itself be a generator function: nothing of it ran.
    (gen,) = traced(pool, code, "evens_themselves", {"n": 2})
    assert gen.error_kind == "output" and gen.arcs == {}


@pytest.mark.slow
def test_a_call_that_raises_has_its_arcs_up_to_the_raise(pool: SandboxPool, code: Path) -> None:
    raised, returned = traced(pool, code, "boom", {"x": 1}, {"x": 0})
    first = line("def boom(x):")
    test = first + 1
    assert raised.error_type == "ValueError" and returned.value == 1
    assert raised.arcs == {"main.py": arcs((-first, test), (test, test + 1), (test + 1, -first))}
    assert returned.arcs == {"main.py": arcs((-first, test), (test, test + 2), (test + 2, -first))}


@pytest.mark.slow
def test_an_input_that_crashes_has_no_arcs_and_the_rest_do(pool: SandboxPool, code: Path) -> None:
    results = traced(pool, code, "crash", {"x": 0}, {"x": 1}, {"x": 0})
    assert [(r.ok, r.error_type) for r in results] == [(True, ""), (False, "Crashed"), (True, "")]
    first = line("def crash(x):")
    expected = {"main.py": arcs((-first, first + 1), (first + 1, first + 3), (first + 3, -first))}
    assert [r.arcs for r in results] == [expected, None, expected]


@pytest.mark.slow
def test_only_the_call_in_the_objects_own_source_files(pool: SandboxPool, code: Path) -> None:
    (result,) = traced(pool, code, "stored", {"x": 5})
    assert result.ok and result.value == 5
    # Not helper.setup, which ran at import; not storage (the runtime's), not test_main.py.
    assert result.arcs is not None and list(result.arcs) == ["main.py"]
    first = line("def stored(x):")
    last = line('return test_main.check(storage.get("x"))')
    assert all(first <= abs(n) <= last for arc in result.arcs["main.py"] for n in arc)


@pytest.mark.slow
def test_arcs_past_the_caps_are_a_lower_bound(pool: SandboxPool, code: Path) -> None:
    (big,) = traced(pool, code, "straight", {})
    assert big.ok and big.value == STRAIGHT
    assert big.arcs is not None and len(big.arcs["main.py"]) == tracer.MAX_ARCS
    short, long = traced(pool, code, "spin", {"n": 10}, {"n": tracer.LINE_EVENTS_PER_FRAME})
    first, returns = line("def spin(n):"), line("return t")
    assert short.arcs is not None and [returns, -first] in short.arcs["main.py"]
    # The loop's frame stopped being traced before it returned: no return line, no exit.
    assert long.ok and long.arcs is not None
    assert [-first, first + 1] in long.arcs["main.py"]
    assert not [arc for arc in long.arcs["main.py"] if returns in arc or arc[1] == -first]


@pytest.mark.slow
def test_arcs_are_the_objects_word_checked_for_shape(pool: SandboxPool, code: Path) -> None:
    stop, outside, shape = traced(
        pool, code, "tamper", {"how": "stop"}, {"how": "outside"}, {"how": "shape"}
    )
    assert [r.value for r in (stop, outside, shape)] == [1, 2, 2]
    first = line("def tamper(how):")
    assert stop.arcs is not None and stop.arcs["main.py"][0] == [-first, first + 1]
    assert outside.arcs is None and shape.arcs is None


@pytest.mark.slow
def test_no_arcs_unless_asked_or_when_nothing_ran(pool: SandboxPool, code: Path) -> None:
    plain = pool.call_many(code, "choose", [{"x": 1}], limits=FAST)
    assert plain[0].ok and plain[0].arcs is None and "arcs" not in plain[0].to_dict()
    unknown, bad = traced(pool, code, "nope", {}), traced(pool, code, "choose", {"y": 1})
    assert unknown[0].error_kind == bad[0].error_kind == "input"
    assert unknown[0].arcs is None and bad[0].arcs is None
    traced_ok = traced(pool, code, "choose", {"x": 1})[0]
    assert traced_ok.to_dict()["arcs"] == traced_ok.arcs


def test_the_shape_check() -> None:
    good = {"main.py": [[-1, 2], [2, -1]], "pkg/util.py": [[-3, 4]]}
    assert traced_arcs(good, {"main.py", "pkg/util.py"}) == good
    bad: list[Any] = [
        None,
        [],
        {"main.py": [[1, 2, 3]]},
        {"main.py": [[1, True]]},
        {"main.py": [[1, 2.0]]},
        {"main.py": [[1, 1 << 40]]},
        {"main.py": {"1": 2}},
        {"../main.py": [[1, 2]]},
        {"/main.py": [[1, 2]]},
        {"test_main.py": [[1, 2]]},
        {"notes.txt": [[1, 2]]},
        {"main.py": [[1, 2]] * (tracer.MAX_ARCS + 1)},
        {"other.py": [[1, 2]]},  # not one of the object's files
    ]
    for raw in bad:
        assert traced_arcs(raw, {"main.py", "test_main.py", "notes.txt", "../main.py"}) is None


SAMPLE = """\
import contextlib


def loops(n):
    total = 0
    for i in range(n):
        if i == 3:
            continue
        if i > 6:
            break
        total += i
    else:
        total = -1
    while n > 0:
        n -= 3
    return total


def handled(x):
    try:
        if x:
            raise KeyError(x)
        r = 1
    except KeyError:
        r = 2
    finally:
        r += 10
    return r


def divide(x):
    return 1 / x


def propagate(x):
    try:
        return divide(x)
    except ZeroDivisionError:
        return None


def numbers(n):
    for i in range(n):
        yield i
    yield from range(2)


def comprehensions(n):
    a = [i * 2 for i in range(n) if i % 2]
    b = {i: i for i in range(n)}
    c = sum(x for x in range(n))
    f = lambda y: y + 1  # noqa: E731
    return a, b, c, f(n), list(numbers(n))


@contextlib.contextmanager
def context():
    yield 5


def withs(x):
    with context() as v:
        if x:
            return v
    return 0


def matcher(x):
    match x:
        case [a, b]:
            return a + b
        case {"k": v}:
            return v
        case _:
            return None


def classes(n):
    class K:
        z = n

        def m(self):
            return self.z

    return K().m()


def recursive(n):
    if n <= 0:
        return 0
    return n + recursive(n - 1)
"""
CASES = [
    ("loops", 10),
    ("loops", 2),
    ("handled", 0),
    ("handled", 1),
    ("propagate", 0),
    ("propagate", 2),
    ("comprehensions", 5),
    ("withs", 1),
    ("withs", 0),
    ("matcher", [1, 2]),
    ("matcher", {"k": 3}),
    ("matcher", 7),
    ("classes", 3),
    ("recursive", 4),
]


def test_the_arcs_are_coverage_pytracers(tmp_path: Path) -> None:
    """The tracer, run here on ordinary code, records what coverage.py's own Python tracer
    records for the same calls."""
    pytracer = pytest.importorskip("coverage.pytracer")
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "sample.py").write_text(SAMPLE)
    spec = importlib.util.spec_from_file_location("trace_sample", folder / "sample.py")
    assert spec is not None and spec.loader is not None
    sample = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sample)

    class Disposition:
        def __init__(self, filename: str) -> None:
            self.trace = filename.startswith(str(folder))
            self.source_filename = filename

    def coverage_arcs(function: Any, arg: Any) -> dict[str, list[list[int]]]:
        other = pytracer.PyTracer()
        other.data = {}
        other.trace_arcs = True
        other.should_trace = lambda filename, frame: Disposition(filename)
        other.should_trace_cache = {}
        other.lock_data = other.unlock_data = lambda: None
        other.warn = lambda *args, **kwargs: None
        before = sys.gettrace()
        other.start()
        try:
            function(arg)
        finally:
            sys.settrace(before)
            other.stop()
        return {
            Path(name).name: sorted([a, b] for a, b in found)
            for name, found in other.data.items()
            if found
        }

    def our_arcs(function: Any, arg: Any) -> dict[str, list[list[int]]]:
        ours = tracer.Tracer(str(folder))
        before = sys.gettrace()
        ours.start()
        try:
            function(arg)
        finally:
            sys.settrace(before)
        return ours.arcs()

    for name, arg in CASES:
        function = getattr(sample, name)
        assert our_arcs(function, arg) == coverage_arcs(function, arg), (name, arg)
