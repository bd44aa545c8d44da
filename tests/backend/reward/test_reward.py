"""The evaluator without an LLM (measured signals and the syntax tree), then with a scripted one."""

from __future__ import annotations

import pytest
from sqlmodel import select

from backend import config
from backend.db import session_scope
from backend.enums import Verdict
from backend.models import Evaluation, LLMCall, Modification
from backend.reward import (
    DimensionResult,
    evaluate_constraints,
    evaluate_factuality,
    evaluate_preference,
    judge,
    record_evaluation,
)
from backend.reward.constraints import HARD_FAILURE_CAP

pytest_plugins = ["tests.support.llm_fixtures"]

MAIN = '''"""Arithmetic helpers."""


def add(x: int, y: int) -> int:
    """Sum of x and y."""
    return x + y


def scale(values: list[float], factor: float = 1.0) -> list[float]:
    """Each value times `factor`."""
    return [value * factor for value in values]
'''
TESTS = """import pytest
from main import add, scale


def test_add():
    assert add(1, 2) == 3
    assert add(-1, 1) == 0


@pytest.mark.parametrize("factor, expected", [(1.0, [1.0, 2.0]), (2.0, [2.0, 4.0])])
def test_scale(factor, expected):
    assert scale([1.0, 2.0], factor) == expected
"""
PARENT = {"main.py": MAIN, "tests/test_main.py": TESTS}

CLEAN_MEDIAN = '''

def median(values: list[float]) -> float:
    """The middle value (the mean of the two middle ones for an even count)."""
    if not values:
        raise ValueError("median of an empty list")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
'''
CONVOLUTED_MEDIAN = """

def median(values):
    l = []
    for v in values:
        l.append(v)
    n = 0
    for x in l:
        n = n + 1
    if n == 0:
        raise ValueError("median of an empty list")
    else:
        for i in range(n):
            for j in range(n - 1):
                if l[j] > l[j + 1]:
                    t = l[j]
                    l[j] = l[j + 1]
                    l[j + 1] = t
                else:
                    pass
        if n % 2 == 1:
            return l[n // 2]
        else:
            if n % 2 == 0:
                return (l[n // 2 - 1] + l[n // 2]) / 2
            else:
                return None
"""
MEDIAN_TEST = """

def test_median():
    from main import median

    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 2.0, 3.0]) == 2.5
"""


def _with(
    main: str | None = None, tests: str | None = None, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """The parent's files with main.py and the tests replaced where given."""
    return {"main.py": main or MAIN, "tests/test_main.py": tests or TESTS, **(extra or {})}


def _reasons(result) -> str:
    return "\n".join(result.reasons)


# Constraints ----------------------------------------------------------------------------------


def test_an_api_break_is_rejected_naming_the_function(no_llm):
    broken = MAIN.replace("def add(x: int, y: int) -> int:", "def add(x: int) -> int:").replace(
        "return x + y", "return x"
    )
    broken = broken.replace(") -> list[float]:", ") -> list[int]:")
    result = evaluate_constraints(_with(broken), PARENT)

    assert result.score <= HARD_FAILURE_CAP < config.get_settings().threshold_constraints
    failed = {check.name: check.reason for check in result.checks if not check.passed}
    assert set(failed) == {"api:add", "api:scale"}
    assert "function 'add' lost parameter 'y'" in failed["api:add"]
    assert "(was add(x: int, y: int) -> int)" in failed["api:add"]
    assert (
        "'scale' changed its return annotation from list[float] to list[int]"
        in (failed["api:scale"])
    )

    preference = evaluate_preference(_with(broken), PARENT, use_llm=False)
    judgement = judge([preference, result], require=("preference", "constraints"))
    assert judgement.verdict == Verdict.REJECT
    assert judgement.below_threshold == ["constraints"]
    assert "function 'add' lost parameter 'y'" in judgement.feedback


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("def scale(", "def _scale(", "exported function 'scale' was removed"),
        (
            "x: int, y: int)",
            "x: int, y: int, z: int)",
            "function 'add' has a new required parameter 'z'",
        ),
        (
            "factor: float = 1.0)",
            "factor: float)",
            "parameter 'factor' of 'scale' lost its default",
        ),
        (
            "(x: int, y: int)",
            "(x: int, y: int, /)",
            "parameter 'x' of 'add' became positional-only",
        ),
    ],
)
def test_each_kind_of_api_break_fails_by_name(no_llm, old, new, problem):
    result = evaluate_constraints(_with(MAIN.replace(old, new)), PARENT)
    assert result.score <= HARD_FAILURE_CAP
    assert any(problem in line for line in result.problems), result.problems


def test_an_api_change_the_plan_asks_for_passes(no_llm):
    changed = MAIN.replace("def add(x: int, y: int) -> int:", "def add(x: int) -> int:")
    changed = changed.replace("return x + y", "return x")
    plan = {"summary": "s", "steps": [], "changes_api": True, "changes_behaviour": False}
    result = evaluate_constraints(_with(changed), PARENT, plan=plan)
    assert result.score == 1.0
    assert "(allowed: the plan changes the API)" in _reasons(result)
    # New optional parameters and new functions never break callers.
    extended = MAIN.replace("x: int, y: int)", "x: int, y: int, z: int = 0)") + CLEAN_MEDIAN
    assert evaluate_constraints(_with(extended), PARENT).score == 1.0


@pytest.mark.parametrize(
    ("tests", "problem"),
    [
        (None, "test file 'tests/test_main.py' was deleted"),
        (TESTS.split("@pytest.mark")[0], "test 'test_scale' in tests/test_main.py was removed"),
        (
            TESTS.replace("    assert add(-1, 1) == 0\n", ""),
            "test 'test_add' in tests/test_main.py has fewer asserts (2 -> 1)",
        ),
        (
            TESTS.replace(", (2.0, [2.0, 4.0])", ""),
            "test 'test_scale' in tests/test_main.py has fewer cases (2 -> 1)",
        ),
        (
            TESTS.replace("def test_add", "@pytest.mark.skip\ndef test_add"),
            "test 'test_add' in tests/test_main.py is now skipped",
        ),
    ],
)
def test_deleting_or_weakening_tests_fails(no_llm, tests, problem):
    files = {"main.py": MAIN} if tests is None else _with(tests=tests)
    result = evaluate_constraints(files, PARENT)
    assert result.score <= HARD_FAILURE_CAP
    assert any(problem in line for line in result.problems), result.problems


def test_more_tests_and_asserts_pass(no_llm):
    stronger = TESTS.replace(
        "    assert add(-1, 1) == 0\n", "    assert add(-1, 1) == 0\n    assert add(0, 0) == 0\n"
    )
    result = evaluate_constraints(_with(tests=stronger + MEDIAN_TEST), PARENT)
    assert result.score == 1.0
    assert "2 tests in tests/test_main.py kept, none weakened" in _reasons(result)


def test_what_the_sandbox_forbids_is_flagged_before_running(no_llm):
    risky = (
        "import os\nimport ctypes as native\nfrom socket import create_connection\n"
        + MAIN.replace("    return x + y", '    os.system("ls")\n    return x + y')
    )
    helper = "import importlib\n\nrunner = importlib.import_module('subprocess')\n"
    result = evaluate_constraints(_with(risky, extra={"lib/helper.py": helper}), PARENT)
    (check,) = [c for c in result.checks if c.name == "sandbox"]
    assert not check.passed and result.score <= HARD_FAILURE_CAP
    assert "main.py line 2: uses ctypes (native code" in check.reason
    assert "main.py line 3: uses socket (network access)" in check.reason
    assert "calls os.system (starting processes)" in check.reason
    assert "lib/helper.py line 3: uses subprocess" in check.reason


def test_code_that_does_not_parse_fails(no_llm):
    result = evaluate_constraints(_with(MAIN + "\ndef broken(:\n"), PARENT)
    assert result.score == 0.0
    assert any(p.startswith("syntax: does not parse: main.py line") for p in result.problems)
    # The API isn't compared with a main.py that doesn't parse: no made-up "removed" functions.
    assert not any(c.name.startswith("api:") for c in result.checks)


def test_code_that_does_not_parse_scores_0_on_every_dimension_with_the_error(no_llm):
    """The issue's case: a missing colon scored preference 0.87 ("no code; no functions")."""
    broken = _with("def area(width: float) -> float\n    return width\n")
    error = "main.py line 1: expected ':'"
    plan = {"changes_api": True, "constraints": ["area stays pure"]}
    results = [
        evaluate_preference(broken, PARENT),
        evaluate_constraints(broken, PARENT, plan=plan),
        evaluate_factuality(broken, parent_files=PARENT, keeps_behaviour=True),
    ]
    for result in results:
        assert result.score == 0.0, result.dimension
        assert any(error in reason for reason in result.reasons), result.reasons
        assert any(error in problem for problem in result.problems), result.problems
    preference, _, factuality = results
    assert set(preference.sub_scores.values()) == {0.0} and preference.signals == {}
    assert factuality.tests == {}  # nothing ran in the sandbox
    judgement = judge(results)
    assert judgement.verdict == Verdict.REJECT and judgement.overall_score == 0.0
    assert error in judgement.feedback


def test_plan_constraints_are_listed_as_unchecked_without_an_llm(no_llm):
    plan = {"changes_api": False, "changes_behaviour": False, "constraints": ["add stays pure"]}
    result = evaluate_constraints(_with(), PARENT, plan=plan)
    assert result.score == 1.0
    assert "1 constraints of the plan not checked (no LLM configured): add stays pure" in (
        _reasons(result)
    )


# Preference -----------------------------------------------------------------------------------


def test_a_well_written_change_is_accepted(no_llm):
    files = _with(MAIN + CLEAN_MEDIAN, TESTS + MEDIAN_TEST)
    preference = evaluate_preference(files, PARENT)
    constraints = evaluate_constraints(files, PARENT)
    assert preference.score >= 0.9 and constraints.score == 1.0
    assert preference.sub_scores["documentation"] == 1.0
    assert "llm" not in preference.details
    judgement = judge([preference, constraints], require=("preference", "constraints"))
    assert judgement.verdict == Verdict.ACCEPT and judgement.feedback == ""


def test_a_convoluted_implementation_scores_lower_than_a_clean_one(no_llm):
    clean = evaluate_preference(_with(MAIN + CLEAN_MEDIAN, TESTS + MEDIAN_TEST), PARENT)
    convoluted = evaluate_preference(_with(MAIN + CONVOLUTED_MEDIAN, TESTS + MEDIAN_TEST), PARENT)
    assert convoluted.score < clean.score - 0.2
    for name in ("readability", "maintainability", "elegance", "documentation"):
        assert convoluted.sub_scores[name] < clean.sub_scores[name], name
    text = _reasons(convoluted)
    assert "E741 Ambiguous variable name: `l`" in text
    assert "RET505 Unnecessary `else` after `return` statement (x2)" in text
    assert "missing: 'median'" in text
    assert "cyclomatic complexity mean" in text and "'median'" in text
    signals = convoluted.signals
    assert signals["change"]["added"] > 20 and signals["lines"] > 30
    assert max(f["depth"] for f in signals["functions"]) >= 3


def test_lint_findings_are_counted_per_100_lines_with_their_names(no_llm):
    messy = "import os\nimport sys\n" + MAIN.replace(
        "return x + y", "return x + y  # " + "a very long comment " * 5
    )
    result = evaluate_preference({"main.py": messy}, use_llm=False)
    (readability,) = [r for r in result.reasons if r.startswith("readability")]
    # 4 findings in 13 lines, counted as the 20-line minimum.
    assert "20.0 style findings per 100 lines" in readability
    assert "F401 (x2): `os` imported but unused | `sys` imported but unused" in readability
    assert "E501 Line too long (120 > 100)" in readability
    codes = sorted(f["code"] for f in result.signals["lint"])
    assert codes == ["E501", "F401", "F401", "W291"]
    (problem,) = [p for p in result.problems if p.startswith("readability")]
    assert "main.py:1 F401 `os` imported but unused" in problem


# The judger ----------------------------------------------------------------------------------


def _result(dimension: str, score: float, *problems: str) -> DimensionResult:
    return DimensionResult(
        dimension, score, reasons=[f"{dimension} reason"], problems=list(problems)
    )


def test_judger_thresholds_weights_and_feedback(no_llm):
    settings = config.get_settings()
    at_threshold = [
        _result("preference", settings.threshold_preference),
        _result("constraints", settings.threshold_constraints),
        _result("factuality", settings.threshold_factuality),
    ]
    accepted = judge(at_threshold)
    assert accepted.verdict == Verdict.ACCEPT and accepted.feedback == ""
    expected = (0.6 * 0.2 + 0.7 * 0.35 + 0.8 * 0.45) / (0.2 + 0.35 + 0.45)
    assert accepted.overall_score == pytest.approx(expected, abs=1e-4)

    rejected = judge(
        [
            _result("preference", 0.95, "documentation 0.40: 'add' lacks a docstring"),
            _result("constraints", 0.5, "api:add: function 'add' lost parameter 'y'"),
            _result("factuality", 0.79, "test_add failed: assert 2 == 3"),
        ]
    )
    assert rejected.verdict == Verdict.REJECT
    assert rejected.below_threshold == ["constraints", "factuality"]
    assert rejected.feedback.splitlines() == [
        "The change was rejected: constraints 0.50 is below its threshold 0.70; "
        "factuality 0.79 is below its threshold 0.80.",
        "Fix every point below:",
        "- [preference] documentation 0.40: 'add' lacks a docstring",
        "- [constraints] api:add: function 'add' lost parameter 'y'",
        "- [factuality] test_add failed: assert 2 == 3",
    ]
    # A high total never outvotes a dimension under its threshold.
    assert rejected.overall_score > 0.7


def test_judger_rejects_when_a_required_dimension_is_missing(no_llm, monkeypatch):
    results = [_result("preference", 0.9), _result("constraints", 1.0)]
    missing = judge(results)
    assert missing.verdict == Verdict.REJECT and missing.missing == ["factuality"]
    assert "factuality was not evaluated" in missing.feedback
    assert judge(results, require=("preference", "constraints")).accepted
    monkeypatch.setenv("THRESHOLD_PREFERENCE", "0.95")
    config.reload_settings()
    stricter = judge(results, require=("preference", "constraints"))
    assert stricter.below_threshold == ["preference"] and stricter.thresholds["preference"] == 0.95
    with pytest.raises(ValueError, match="unknown dimensions"):
        judge([_result("style", 1.0)])


def test_evaluations_are_stored_with_scores_reasons_thresholds_and_timings(migrated_db, no_llm):
    files = _with(MAIN.replace("x: int, y: int)", "x: int)"))
    preference = evaluate_preference(files, PARENT)
    constraints = evaluate_constraints(files, PARENT)
    judgement = judge([preference, constraints], require=("preference", "constraints"))
    with session_scope() as session:
        modification = Modification(prompt="drop y")
        session.add(modification)
        session.flush()
        stored = record_evaluation(
            session,
            modification_id=modification.id,
            version_id=None,
            attempt=2,
            results=[preference, constraints],
            judgement=judgement,
            timings={"generate": 1.5},
        )
        evaluation_id = stored.id
    with session_scope() as session:
        row = session.get(Evaluation, evaluation_id)
        assert row.attempt == 2 and row.verdict == "reject"
        assert row.constraints_score == constraints.score <= HARD_FAILURE_CAP
        assert row.preference_score == preference.score
        assert row.overall_score == judgement.overall_score
        assert row.thresholds == {"preference": 0.6, "constraints": 0.7, "factuality": 0.8}
        assert row.factuality == {"evaluated": False} and row.factuality_score == 0.0
        assert row.constraints["threshold"] == 0.7 and row.constraints["weight"] == 0.35
        assert any("lost parameter 'y'" in r for r in row.constraints["reasons"])
        assert row.preference["details"]["sub_scores"] == preference.sub_scores
        assert "function 'add' lost parameter 'y'" in row.feedback
        assert row.timings["generate"] == 1.5
        assert row.timings["total"] == pytest.approx(
            1.5 + preference.seconds + constraints.seconds, abs=1e-3
        )


# With a scripted LLM judge --------------------------------------------------------------------


def test_the_llm_judge_is_blended_into_preference(sqlite_db, llm_server):
    llm_server.push_json(
        {
            "readability": 0.0,
            "maintainability": 0.0,
            "elegance": 0.0,
            "documentation": 0.0,
            "reasons": ["median sorts by hand instead of using sorted()"],
        }
    )
    files = _with(MAIN + CLEAN_MEDIAN, TESTS + MEDIAN_TEST)
    measured = evaluate_preference(files, PARENT, use_llm=False)
    blended = evaluate_preference(files, PARENT)  # an LLM is configured: it is used

    weight = config.get_settings().preference_llm_weight
    for name, value in measured.sub_scores.items():
        assert blended.sub_scores[name] == pytest.approx((1 - weight) * value, abs=1e-3)
    assert blended.score < measured.score
    assert "median sorts by hand instead of using sorted()" in _reasons(blended)
    # Pulled under the threshold by the judge, each sub-score says so in the feedback.
    assert any("with the LLM judge; measured: maintainability 0.89" in p for p in blended.problems)
    assert blended.problems[-1] == "LLM judge: median sorts by hand instead of using sorted()"
    assert blended.details["llm"]["weight"] == weight
    (request,) = llm_server.requests
    assert request["model"] == "test-judge"
    assert request["tools"][0]["function"]["name"] == "PreferenceJudgment"
    prompt = llm_server.prompt_text()
    assert "+def median(values: list[float]) -> float:" in prompt  # the diff against the parent
    assert "maintainability index" in prompt  # the measured signals
    with session_scope() as session:
        (call,) = session.exec(select(LLMCall)).all()
    assert call.role == "judge" and call.ok


def test_the_llm_checks_the_plans_constraints(sqlite_db, llm_server):
    plan = {
        "summary": "add median",
        "steps": ["write median"],
        "constraints": ["add stays pure", "scale keeps the order of values"],
        "changes_api": False,
        "changes_behaviour": False,
    }
    llm_server.push_json(
        {
            "checks": [
                {"constraint": "add stays pure", "passed": True, "reason": "no side effects"},
                {"constraint": "scale keeps order", "passed": False, "reason": "scale sorts"},
            ]
        }
    )
    files = _with(MAIN + CLEAN_MEDIAN)
    result = evaluate_constraints(files, PARENT, plan=plan, request="add a median")
    failed = [c for c in result.checks if not c.passed]
    assert [c.name for c in failed] == ["plan:scale keeps the order of values"]
    assert failed[0].reason == "LLM: scale sorts" and not failed[0].hard
    # A soft failure lowers the score but doesn't cap it.
    assert HARD_FAILURE_CAP < result.score < 1.0
    prompt = llm_server.prompt_text()
    assert "1. add stays pure\n2. scale keeps the order of values" in prompt
    assert "add a median" in prompt
