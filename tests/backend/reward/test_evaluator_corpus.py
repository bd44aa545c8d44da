"""The evaluator's verdicts on a corpus of small functions (tests/data/evaluator_corpus).

Each case has a behaviour-keeping refactor (to accept) and a one-token bug (to reject). The
evaluator runs without an LLM (preference, constraints and factuality with its differential
check, then the judger) in two modes: with the case's tests in the object, and with no tests,
where only the differential check can catch the bug. Each mode must get at least
MIN_ACCURACY of its verdicts right; `pytest -s` prints the accuracies and the misses.

The corpus is checked first, in this process (it is our own data, not object code): each
bug changes the outcome on an input the case names, each refactor doesn't, and the tests
pass on the original and the refactor.
"""

from __future__ import annotations

import ast
import sys
import types
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from backend.config import get_settings
from backend.reward import evaluate_constraints, evaluate_factuality, evaluate_preference, judge
from tests.support.paths import DATA
from tests.support.sandbox_helpers import require_default_pool

CORPUS = DATA / "evaluator_corpus"
MIN_ACCURACY = 0.9
MIN_CASES = 40
WORKERS = 4  # cases evaluated at once; the sandbox pool runs their calls in parallel
# Mutation testing reports on the tests' strength and never changes a verdict: left out
# here, where it would only take time (tests/backend/reward/test_mutation.py covers it).
SETTINGS = get_settings().model_copy(update={"mutants": 0})


@dataclass(frozen=True)
class Case:
    name: str
    original: str
    refactor: str
    bug: tuple[str, str]
    tests: str
    differs: list[tuple[str, dict[str, Any]]]

    @property
    def buggy(self) -> str:
        return self.original.replace(*self.bug, 1)


def load_case(path: Path) -> Case:
    """A case file's literal assignments (the file is read, never imported)."""
    values = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    return Case(
        name=path.stem,
        original=values["ORIGINAL"],
        refactor=values["REFACTOR"],
        bug=tuple(values["BUG"]),
        tests=values["TESTS"],
        differs=[(function, dict(args)) for function, args in values["DIFFERS"]],
    )


CASES = [load_case(path) for path in sorted(CORPUS.glob("c*.py"))]


def test_the_corpus_is_big_enough():
    assert len(CASES) >= MIN_CASES


# The corpus itself, checked in this process ------------------------------------------------


def _module(source: str) -> types.ModuleType:
    module = types.ModuleType("main")
    exec(compile(source, "main.py", "exec"), module.__dict__)
    return module


def _outcome(function: Callable[..., Any], args: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "returned", function(**args)
    except Exception as exc:
        return "raised", type(exc).__name__


def _run_tests(source: str, tests: str) -> None:
    saved = sys.modules.get("main")
    sys.modules["main"] = _module(source)
    try:
        namespace: dict[str, Any] = {}
        exec(compile(tests, "tests/test_main.py", "exec"), namespace)
        for name, test in namespace.items():
            if name.startswith("test_") and callable(test):
                test()
    finally:
        if saved is None:
            sys.modules.pop("main", None)
        else:
            sys.modules["main"] = saved


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_each_bug_changes_behaviour_and_each_refactor_keeps_it(case: Case):
    assert case.original.count(case.bug[0]) == 1, "the bug's text must occur exactly once"
    assert case.differs, "name at least one input on which the bug differs"
    original, refactor, buggy = (_module(s) for s in (case.original, case.refactor, case.buggy))
    for function, args in case.differs:
        expected = _outcome(getattr(original, function), args)
        assert _outcome(getattr(buggy, function), args) != expected, (function, args)
        assert _outcome(getattr(refactor, function), args) == expected, (function, args)
    _run_tests(case.original, case.tests)
    _run_tests(case.refactor, case.tests)


# The evaluator's verdicts -----------------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox() -> None:
    require_default_pool()


def rejection(files: dict[str, str], parent: dict[str, str]) -> str:
    """Why the evaluator without an LLM rejects a change meant to keep behaviour ("" when
    it accepts it): the dimensions below their thresholds, with their first problem."""
    results = [
        evaluate_preference(files, parent, use_llm=False),
        evaluate_constraints(files, parent, use_llm=False),
        evaluate_factuality(
            files, parent_files=parent, keeps_behaviour=True, use_llm=False, settings=SETTINGS
        ),
    ]
    judgement = judge(results)
    if judgement.accepted:
        return ""
    by_name = {result.dimension: result for result in results}
    return "; ".join(
        f"{name} {judgement.scores[name]:.2f} ({(by_name[name].problems or ['-'])[0][:150]})"
        for name in judgement.below_threshold
    )


def verdicts(case: Case, with_tests: bool) -> list[str]:
    """The wrong verdicts on one case's refactor and bug (empty: both right)."""
    extra = {"tests/test_main.py": case.tests} if with_tests else {}
    parent = {"main.py": case.original, **extra}
    wrong = []
    why = rejection({"main.py": case.refactor, **extra}, parent)
    if why:
        wrong.append(f"{case.name}: refactor rejected: {why}")
    if not rejection({"main.py": case.buggy, **extra}, parent):
        wrong.append(f"{case.name}: bug {case.bug[0]!r} -> {case.bug[1]!r} accepted")
    return wrong


@pytest.mark.parametrize("with_tests", [True, False], ids=["with tests", "no tests"])
def test_verdict_accuracy(sandbox: None, with_tests: bool):
    with ThreadPoolExecutor(WORKERS) as executor:
        found = executor.map(verdicts, CASES, [with_tests] * len(CASES))
        wrong = [line for lines in found for line in lines]
    total = 2 * len(CASES)
    accuracy = (total - len(wrong)) / total
    mode = "with tests" if with_tests else "no tests"
    print(f"\nevaluator corpus, {mode}: {total - len(wrong)}/{total} right ({accuracy:.1%})")
    for line in wrong:
        print(f"  {line}")
    assert accuracy >= MIN_ACCURACY, wrong
