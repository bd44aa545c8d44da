"""Strength of an object's tests, by mutation (issue 13, item 4)."""

from __future__ import annotations

import ast
import os

import pytest

from backend.config import Settings
from backend.reward.factuality import evaluate_factuality
from backend.reward.mutants import make_mutants
from backend.sandbox import SandboxUnavailable, get_pool

MAIN = '''"""Small helpers."""


def add(x: int, y: int = 1) -> int:
    """x plus y."""
    return x + y


def is_small(n: int) -> bool:
    """Between -10 and 10, both excluded."""
    return n < 10 and n > -10


def ratio(a: float, b: float) -> float:
    """a over b, 0 when b is 0."""
    if b == 0:
        return 0.0
    return a / b
'''
STRONG_TESTS = """from main import add, is_small, ratio


def test_add():
    assert add(2, 3) == 5
    assert add(2) == 3


def test_is_small():
    assert is_small(9) and is_small(-9) and is_small(0)
    assert not is_small(10) and not is_small(-10) and not is_small(100)


def test_ratio():
    assert ratio(6.0, 3.0) == 2.0
    assert ratio(1.0, 0) == 0.0
"""
WEAK_TESTS = """from main import add, is_small, ratio


def test_it_runs():
    add(2, 3)
    is_small(3)
    ratio(1.0, 2.0)
"""


def test_mutants_are_bounded_deterministic_and_change_one_token():
    files = {"main.py": MAIN, "tests/test_main.py": STRONG_TESTS}
    mutants, sites = make_mutants(files, 20)
    assert sites > 5 and len(mutants) == min(sites, 20)
    again, _ = make_mutants(files, 20)
    assert [m.files for m in mutants] == [m.files for m in again]
    changes = {m.change for m in mutants}
    assert {"`+` -> `-`", "`<` -> `<=`", "`and` -> `or`", "`/` -> `*`", "`0` -> `1`"} <= changes
    assert "returned boolean negated" in changes
    for mutant in mutants:
        assert mutant.files["tests/test_main.py"] == STRONG_TESTS  # tests are never mutated
        assert ast.dump(ast.parse(mutant.files["main.py"])) != ast.dump(ast.parse(MAIN))
    few, _ = make_mutants(files, 3)
    assert len(few) == 3 and len({m.describe() for m in few}) == 3


@pytest.fixture(scope="module")
def sandbox() -> None:
    try:
        get_pool()
    except SandboxUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(f"no sandbox here: {exc}")


def _factuality(tests: str | None, **settings):
    files = {"main.py": MAIN} | ({"tests/test_main.py": tests} if tests else {})
    return evaluate_factuality(
        files,
        parent_files=None,
        keeps_behaviour=False,
        use_llm=False,
        settings=Settings(**settings),
    )


def test_strong_tests_kill_most_mutants_and_the_reasons_say_how_many(sandbox):
    result = _factuality(STRONG_TESTS)
    mutation = result.mutation
    assert mutation["ran"] == mutation["made"] > 5 and not mutation["weak"]
    assert mutation["score"] >= 0.7
    line = f"tests kill {mutation['killed']} of {mutation['ran']} mutants"
    assert any(reason.startswith(line) for reason in result.reasons)
    assert result.score == 1.0


def test_weak_tests_are_flagged_for_the_person_approving(sandbox):
    result = _factuality(WEAK_TESTS)
    mutation = result.mutation
    assert mutation["weak"] and mutation["score"] < 0.5 and mutation["survivors"]
    assert any(reason.startswith("weak tests: they kill only") for reason in result.reasons)
    assert result.score == 1.0  # reported, not scored: the tests did pass


def test_without_tests_mutation_testing_is_skipped_saying_why(sandbox):
    result = _factuality(None)
    assert result.mutation["skipped"] == "skipped: the object has no tests to kill mutants"
    assert "mutation testing skipped: the object has no tests" in " ".join(result.reasons)


def test_mutation_testing_keeps_to_its_budget_and_says_how_many_ran(sandbox):
    result = _factuality(STRONG_TESTS, mutation_seconds=0.001)
    mutation = result.mutation
    assert mutation["ran"] < mutation["made"]
    assert "left out at the time budget" in " ".join(result.reasons) or mutation["skipped"]


REACH_MAIN = '''"""Prices."""

RATE = 0.2


def net(amount: float) -> float:
    return amount * (1 - RATE)


def gross(amount: float) -> float:
    return round(net(amount) + fee(amount), 2)


def fee(amount: float) -> float:
    return 1.0 if amount < 10 else 0.0
'''
REACH_TESTS = """from main import gross, net


def check(value):
    return gross(value) > 0


def test_net():
    assert net(10.0) == 8.0


def test_gross_through_a_helper():
    assert check(5.0)


def test_nothing():
    assert True
"""


def test_a_mutant_runs_only_the_tests_that_reach_its_line_likeliest_killers_first():
    from backend.reward.test_reach import TestReach

    files = {"main.py": REACH_MAIN, "tests/test_main.py": REACH_TESTS}
    tests = [("tests/test_main.py", name) for name in ("test_net", "test_gross_through_a_helper")]
    reach = TestReach(files, [*tests, ("tests/test_main.py", "test_nothing")])
    lines = REACH_MAIN.splitlines()

    def line_of(text: str) -> int:
        return next(i for i, line in enumerate(lines, 1) if text in line)

    # net() is named by test_net and reached by gross(), which a helper of the other test calls.
    assert reach.tests_for("main.py", line_of("amount * (1 - RATE)")) == tests
    # fee() only through gross(): the helper's test; a constant through the functions using it.
    assert reach.tests_for("main.py", line_of("1.0 if amount")) == [tests[1]]
    assert reach.tests_for("main.py", line_of("RATE = 0.2")) == tests
    # Anywhere else (another file) every test runs.
    assert len(reach.tests_for("helpers.py", 1)) == 3


def test_run_tests_runs_a_selection_in_order_and_can_stop_at_the_first_failure(sandbox, tmp_path):
    (tmp_path / "main.py").write_text("def one():\n    return 1\n")
    (tmp_path / "test_main.py").write_text(
        "from main import one\n\n\ndef test_a():\n    assert one() == 1\n\n\n"
        "def test_b():\n    assert one() == 2\n\n\ndef test_c():\n    assert one() == 1\n"
    )
    pool = get_pool()
    every = pool.run_tests(tmp_path)
    assert [t.name for t in every.tests] == ["test_a", "test_b", "test_c"]
    chosen = pool.run_tests(tmp_path, only=[("test_main.py", "test_c"), ("test_main.py", "test_a")])
    assert [t.name for t in chosen.tests] == ["test_c", "test_a"] and chosen.passed
    stopped = pool.run_tests(tmp_path, stop_at_failure=True)
    assert [(t.name, t.passed) for t in stopped.tests] == [("test_a", True), ("test_b", False)]
    unknown = pool.run_tests(tmp_path, only=[("test_main.py", "test_zzz")])
    assert [(t.name, t.passed) for t in unknown.tests] == [("test_zzz", False)]
