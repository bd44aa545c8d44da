"""bench/modify.py's harness: its cases are sound, and it tells a success, a false accept and
a false reject apart (against the scripted LLM server, through the real pipeline)."""

from __future__ import annotations

import pytest

from bench import modify
from bench.modify_cases import CASES
from tests.support.sandbox_helpers import require_default_pool

pytest_plugins = ["tests.support.llm_fixtures"]

CALC = next(case for case in CASES if case.slug == "calc")
PLAN = {
    "summary": "Add sub(a, b).",
    "steps": ["write sub in main.py"],
    "constraints": [],
    "changes_api": True,
    "changes_behaviour": True,
}


def _answer(main: str) -> dict:
    return {"files": [{"path": "main.py", "content": main}], "explanation": "Added sub."}


@pytest.fixture
def bench_llm(sqlite_db, scripted_llm):
    require_default_pool()
    return scripted_llm


def test_every_case_is_feasible_and_its_hidden_tests_test_the_change(sqlite_db):
    require_default_pool()
    assert len(CASES) >= 20
    assert len({case.slug for case in CASES}) == len(CASES)
    assert modify.check_cases(CASES) == []


def test_a_broken_case_is_reported(sqlite_db):
    require_default_pool()
    broken = CALC.__class__(**{**CALC.__dict__, "reference": CALC.main})
    (problem,) = modify.check_cases([broken])
    assert problem.startswith("calc: hidden tests on the reference should pass")
    assert "sub" in problem


def test_an_accepted_change_that_passes_the_hidden_tests_is_a_success(bench_llm):
    bench_llm.push_json(PLAN)
    bench_llm.push_json(_answer(CALC.reference))
    with modify.EvaluatorClock() as clock:
        result = modify.run_case(CALC, clock, None)
    assert result.outcome == "success", result.reason
    assert result.status == "awaiting_approval"
    assert result.attempts == 1
    assert result.tokens == 240  # the scripted server's 100 + 20 tokens, twice
    assert "hidden tests: 2 passed" in result.reason


def test_an_accepted_change_that_fails_the_hidden_tests_is_a_false_accept(bench_llm):
    bench_llm.push_json(PLAN)
    bench_llm.push_json(_answer(CALC.reference.replace("return a - b", "return b - a")))
    with modify.EvaluatorClock() as clock:
        result = modify.run_case(CALC, clock, None)
    assert result.outcome == "false accept", result.reason
    assert "FAIL test_hidden.py::test_sub" in result.reason


def test_a_request_the_pipeline_gives_up_on_is_a_false_reject(bench_llm):
    bench_llm.push_json({**PLAN, "changes_api": False})  # so renaming a parameter is refused
    for _ in range(2):  # MAX_ATTEMPTS is 2 here; each answer breaks add's signature
        bench_llm.push_json(_answer(CALC.main.replace("b: int", "c: int").replace("+ b", "+ c")))
    with modify.EvaluatorClock() as clock:
        result = modify.run_case(CALC, clock, None)
    assert result.outcome == "false reject"
    assert result.status == "failed" and result.attempts == 2
    assert "lost parameter 'b'" in result.reason
    assert "false rejects 1/1 (100%)" in modify.table([result])
