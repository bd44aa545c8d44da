"""The factuality judge without an LLM: the object's tests and the differential check, run in
the real sandbox; then the pieces (input generation, output comparison) on their own."""

from __future__ import annotations

import ast
import json
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.config import Settings, get_settings
from backend.llm import FactualityJudgment
from backend.objects.arguments import check_value
from backend.reward.differential import (
    MAX_DIFFERENCES_PER_FUNCTION,
    equal_json,
    parent_outcomes,
    same_outcome,
)
from backend.reward.factuality import NO_TESTS_SCORE, evaluate_factuality
from backend.reward.inputs import NotGeneratable, draw, strategy_for
from backend.reward.literals import LiteralIndex
from backend.sandbox import CallResult, get_pool
from tests.support.sandbox_helpers import require_default_pool

THRESHOLD = get_settings().threshold_factuality

MAIN = '''"""Small number helpers."""


def add(x: int, y: int = 1) -> int:
    """x plus y."""
    return x + y


def describe(n: int) -> str:
    """'negative', 'zero' or 'positive'."""
    if n < 0:
        return "negative"
    return "zero" if n == 0 else "positive"


def mean(values: list[float]) -> float | None:
    """The arithmetic mean, or None for no values."""
    if not values:
        return None
    return sum(values) / len(values)
'''

TESTS = """from main import add, describe, mean


def test_add():
    assert add(3, 4) == 7
    assert add(2) == 3


def test_describe():
    assert describe(5) == "positive"
    assert describe(0) == "zero"


def test_mean():
    assert mean([1.0, 2.0, 3.0]) == 2.0
    assert mean([]) is None
"""

PARENT = {"main.py": MAIN, "tests/test_main.py": TESTS}

# The same behaviour, written differently.
REFACTORED = {
    "main.py": MAIN.replace(
        '''    if n < 0:
        return "negative"
    return "zero" if n == 0 else "positive"''',
        """    labels = {-1: "negative", 0: "zero", 1: "positive"}
    return labels[(n > 0) - (n < 0)]""",
    ).replace(
        """    if not values:
        return None
    return sum(values) / len(values)""",
        """    total, count = 0.0, 0
    for value in values:
        total, count = total + value, count + 1
    return total / count if count else None""",
    ),
    "tests/test_main.py": TESTS,
}

# Off by one for negative numbers only; the tests use positive numbers, so they still pass.
OFF_BY_ONE = {
    "main.py": MAIN.replace("    return x + y\n", "    return x + y + (1 if x < 0 else 0)\n"),
    "tests/test_main.py": TESTS,
}


@pytest.fixture(scope="module", autouse=True)
def sandbox() -> None:
    require_default_pool()


def evaluate(files, parent=PARENT, *, keeps_behaviour=True, **settings):
    return evaluate_factuality(
        files,
        parent_files=parent,
        keeps_behaviour=keeps_behaviour,
        use_llm=False,
        settings=Settings(**settings) if settings else None,
    )


def test_a_behaviour_keeping_refactor_passes():
    result = evaluate(REFACTORED)

    assert result.dimension == "factuality"
    assert result.score == 1.0 >= THRESHOLD
    assert result.problems == []
    assert result.tests["passed"] == result.tests["count"] == 3
    differential = result.differential
    assert differential["ran"] and differential["differences"] == []
    assert set(differential["functions"]) == {"add", "describe", "mean"}
    assert all(f["compared"] >= 20 for f in differential["functions"].values())
    assert "every output matched" in " ".join(result.reasons)
    json.dumps(result.to_dict())  # storable as an Evaluation column


def test_a_behaviour_breaking_change_is_caught_with_the_input_that_shows_it():
    result = evaluate(OFF_BY_ONE)

    assert result.tests["failed"] == 0  # the object's own tests don't notice
    assert result.score < THRESHOLD
    differences = result.differential["differences"]
    assert differences and all(d["function"] == "add" and d["args"]["x"] < 0 for d in differences)
    first = differences[0]
    x, y = first["args"]["x"], first["args"].get("y", 1)
    expected = f"parent returned {x + y}, new version returned {x + y + 1}"
    assert any(problem.startswith("add(x=") and expected in problem for problem in result.problems)
    assert "different outputs (add)" in " ".join(result.reasons)


def test_a_function_stops_being_compared_after_a_few_differences(monkeypatch):
    pool = get_pool()
    batches = []
    real_call_each = pool.call_each

    def spy(code_dir, calls, **kwargs):
        batches.append({function for function, _ in calls})
        return real_call_each(code_dir, calls, **kwargs)

    parent_outcomes.clear()  # so that the parent's side runs too
    monkeypatch.setattr(pool, "call_each", spy)
    always_off = {**PARENT, "main.py": MAIN.replace("    return x + y\n", "    return x + y + 1\n")}

    functions = evaluate(always_off).differential["functions"]

    # The batches hold every function's inputs; add()'s, past its third difference, are
    # left uncompared, and the other functions' are all compared.
    assert batches and all(names == {"add", "describe", "mean"} for names in batches)
    assert functions["add"]["compared"] == functions["add"]["differences"]
    assert functions["add"]["differences"] == MAX_DIFFERENCES_PER_FUNCTION
    for name in ("describe", "mean"):
        assert functions[name]["compared"] == len(functions[name]["inputs"]) >= 20
        assert functions[name]["differences"] == 0


def test_failing_tests_lower_the_score_and_are_named():
    broken = {**PARENT, "main.py": MAIN.replace('return "negative"', 'return "minus"')}
    broken["tests/test_main.py"] = (
        TESTS + '\n\ndef test_negative():\n    assert describe(-2) == "negative"\n'
    )

    result = evaluate(broken, keeps_behaviour=False)

    assert result.tests == {**result.tests, "count": 4, "passed": 3, "failed": 1}
    assert result.score < THRESHOLD
    (problem,) = result.problems
    assert problem.startswith("tests/test_main.py::test_negative failed: AssertionError")
    assert "tests: 3 of 4 passed" in result.reasons[0]
    all_fail = {**broken, "main.py": "def add(x, y=1):\n    raise ValueError('no')\n"}
    assert evaluate(all_fail, keeps_behaviour=False).score < result.score  # ratio still counts


MAGIC_PARENT = '''
def shipping(cents: int) -> int:
    """Shipping cost in cents for an order of `cents`."""
    return 0 if cents >= 5000 else 499


def is_gift_code(code: int) -> bool:
    return code % 7 == 0
'''
# A special case no random input finds: 10010 is spelled nowhere in the code.
MAGIC_NEW = MAGIC_PARENT.replace(
    "    return 0 if cents >= 5000 else 499\n",
    "    if cents == 7 * 11 * 13 * 10:\n        return 1\n    return 0 if cents >= 5000 else 499\n",
)
MAGIC_TESTS = """from main import is_gift_code, shipping


def test_gift_codes():
    assert is_gift_code(10010)


def test_shipping():
    assert shipping(100) == 499
"""


def test_literals_of_the_tests_become_inputs():
    parent = {"main.py": MAGIC_PARENT, "test_main.py": MAGIC_TESTS}
    new = {"main.py": MAGIC_NEW, "test_main.py": MAGIC_TESTS}

    result = evaluate(new, parent)

    assert result.tests["failed"] == 0
    assert "shipping(cents=10010): parent returned 0, new version returned 1" in result.problems
    assert result.score < THRESHOLD
    # The same change, with tests that don't mention 10010: nothing else finds it.
    tests = MAGIC_TESTS.replace("10010", "14")
    unseen = evaluate({**new, "test_main.py": tests}, {**parent, "test_main.py": tests})
    assert unseen.differential["differences"] == [] and unseen.score == 1.0


def test_a_change_meant_to_change_behaviour_skips_the_differential_check():
    result = evaluate(OFF_BY_ONE, keeps_behaviour=False)

    assert result.differential == {"ran": False, "skipped": result.differential["skipped"]}
    assert "meant to change behaviour" in result.differential["skipped"]
    assert result.score == 1.0 and result.problems == []
    new_object = evaluate(OFF_BY_ONE, None)
    assert "no parent" in new_object.differential["skipped"]


def test_functions_with_parameters_that_cant_be_generated_are_skipped_with_a_reason():
    source = (
        MAIN
        + """

def stamp(when: datetime, label: str = "") -> str:
    return label + when.isoformat()


def tag(name: str, *, colour: Colour = None) -> str:
    return name
"""
    )
    source = "from datetime import datetime\nColour = str\n" + source
    files = {"main.py": source, "tests/test_main.py": TESTS}

    result = evaluate(files, files)

    skipped = result.differential["skipped_functions"]
    assert skipped == {
        "stamp": "parameter 'when' is annotated datetime, which can't be generated as JSON"
    }
    assert "tag" in result.differential["functions"]  # the optional `colour` keeps its default
    assert "differential check skipped stamp(): parameter 'when' is annotated datetime" in (
        " ".join(result.reasons)
    )
    assert result.score == 1.0


def test_the_differential_check_keeps_to_its_time_budget():
    slow = "import time\n\n\ndef wait(n: int) -> int:\n    time.sleep(0.25)\n    return n\n"
    files = {"main.py": slow}

    started = time.monotonic()
    result = evaluate(files, files, differential_seconds=1.0, differential_examples=40)
    elapsed = time.monotonic() - started

    assert elapsed < 4.0
    assert result.differential["not_run"] > 0
    assert result.differential["compared"] < 40
    assert "stopped at its time budget (1 s)" in " ".join(result.reasons)
    # No tests, but a differential check that passed is evidence too.
    assert result.score == round((NO_TESTS_SCORE + 1.0) / 2, 4)
    assert any("no tests" in problem for problem in result.problems)


def test_a_function_that_always_times_out_leaves_the_others_their_inputs():
    stuck = MAIN + "\n\ndef stuck(n: int) -> int:\n    while True:\n        pass\n"
    files = {"main.py": stuck}
    result = evaluate(files, files, differential_call_seconds=0.5, differential_examples=30)
    functions = result.differential["functions"]
    for name in ("add", "describe", "mean"):
        assert functions[name]["compared"] == len(functions[name]["inputs"]) >= 20
    # Both sides timing out is the same outcome, but one is enough: the rest are given up.
    assert 1 <= functions["stuck"]["compared"] <= 4
    assert result.differential["not_run"] >= 30 - 4


def test_a_function_whose_output_varies_from_run_to_run_is_not_a_difference():
    source = MAIN + "\n\ndef now_ns(offset: int = 0) -> int:\n    return time.time_ns() + offset\n"
    files = {"main.py": "import time\n" + source, "tests/test_main.py": TESTS}

    result = evaluate(files, files)

    assert result.score == 1.0 and result.problems == []
    assert "now_ns" in result.differential["varying"]
    assert "skipped now_ns(): its output varies from run to run" in " ".join(result.reasons)


def test_a_second_evaluation_against_the_same_parent_runs_only_the_new_version(monkeypatch):
    pool = get_pool()
    calls = []
    real_call_each = pool.call_each

    def counting(code_dir, inputs, **kwargs):
        calls.extend(Path(code_dir).name for _ in inputs)
        return real_call_each(code_dir, inputs, **kwargs)

    parent_outcomes.clear()
    monkeypatch.setattr(pool, "call_each", counting)
    first = evaluate(REFACTORED)
    assert calls.count("parent") == calls.count("new") == first.differential["compared"]

    calls.clear()
    second = evaluate(REFACTORED)
    assert calls.count("parent") == 0
    assert calls.count("new") == second.differential["compared"] == first.differential["compared"]
    assert second.score == first.score == 1.0


def test_without_tests_or_parent_nothing_shows_it_works():
    result = evaluate({"main.py": MAIN}, None)

    assert result.score == NO_TESTS_SCORE < THRESHOLD
    assert result.reasons[0].startswith("no tests")


def test_a_main_py_that_does_not_import_scores_zero():
    result = evaluate({**PARENT, "main.py": "import nonexistent_module\n"})

    assert result.score == 0.0
    assert result.problems[0].startswith("main.py does not import in the sandbox")


def test_the_llm_review_is_blended_in_but_cannot_outvote_a_difference(monkeypatch):
    asked = []

    def review(files, **kwargs):
        asked.append(kwargs)
        return FactualityJudgment(score=0.5, issues=["mean() ignores NaN"], summary="mostly ok")

    monkeypatch.setattr("backend.reward.factuality.judge_factuality", review)
    weight = get_settings().factuality_llm_weight

    good = evaluate_factuality(
        REFACTORED, parent_files=PARENT, keeps_behaviour=True, use_llm=True, request="refactor"
    )
    assert good.score == pytest.approx((1 - weight) * 1.0 + weight * 0.5)
    assert good.problems == ["LLM review: mean() ignores NaN"]
    assert "3 passed, 0 failed" in asked[0]["test_report"]
    assert asked[0]["request"] == "refactor"

    monkeypatch.setattr(
        "backend.reward.factuality.judge_factuality",
        lambda files, **kwargs: FactualityJudgment(score=1.0, summary="all correct"),
    )
    bad = evaluate_factuality(OFF_BY_ONE, parent_files=PARENT, keeps_behaviour=True, use_llm=True)
    assert bad.score < THRESHOLD


# The pieces --------------------------------------------------------------------------------

ANNOTATIONS = [
    "int",
    "float",
    "str",
    "bool",
    "None",
    "list[int]",
    "dict[str, float]",
    "int | None",
    "Optional[str]",
    "list[dict[str, int | str]]",
    "Any",
    "Literal['a', 'b']",
    None,
]


@pytest.mark.parametrize("annotation", ANNOTATIONS)
def test_generated_values_fit_their_annotation_and_are_json(annotation):
    values = draw(strategy_for(annotation), 30)

    assert values
    for value in values:
        assert check_value(annotation, value)
        json.dumps(value, allow_nan=False)
    assert draw(strategy_for(annotation), 30) == values  # the same inputs on every run


def test_draws_lean_to_the_values_where_code_goes_wrong():
    ints = draw(strategy_for("int"), 40)
    assert {0, 1, -1} <= set(ints) and any(abs(n) > 1000 for n in ints)
    assert sum(abs(n) <= 100 for n in ints) > len(ints) / 2  # small before large
    texts = draw(strategy_for("str"), 40)
    assert "" in texts and any(len(t) == 1 for t in texts) and any(not t.isascii() for t in texts)
    lists = draw(strategy_for("list[int]"), 40)
    assert [] in lists and any(len(items) == 1 for items in lists)
    # A seed gives other values, the same ones on every run.
    assert draw(strategy_for("int"), 40, seed="f") == draw(strategy_for("int"), 40, seed="f")
    assert draw(strategy_for("int"), 40, seed="f") != ints


def test_a_count_parameter_is_sometimes_the_length_of_a_text_one():
    from backend.reward import draws

    pairs = draws.sized(
        draws.fixed_dictionaries({"text": draws.text(), "width": draws.integers()}, {}),
        ["width"],
        ["text"],
    )
    drawn = draw(pairs, 60)
    assert any(args["width"] == len(args["text"]) > 1 for args in drawn)

    # A text literal of the tests meets the width of its own length among the first inputs.
    from backend.reward.inputs import plan_inputs

    code = "def wrap(text: str, width: int) -> list[str]:\n    return [text[:width]]\n"
    tests = "from main import wrap\n\n\ndef test_wrap():\n    assert wrap('the quick fox', 3)\n"
    files = {"main.py": code, "tests/test_main.py": tests}
    plan = plan_inputs(files, files, exported={"wrap"}, count=20)
    assert {"text": "the quick fox", "width": 13} in plan.cases["wrap"][:10]


def test_literal_neighbours_are_the_other_side_of_each_boundary():
    from backend.reward.literals import literals_in

    tree = ast.parse(
        "def f(year, word):\n"
        "    if word in ('ab', 'cd') or [1, 2] == word:\n"
        "        return 0\n"
        "    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)\n"
    )
    found = literals_in(tree, neighbours=True)
    assert {3, 5, 99, 101} <= {v for v in found if isinstance(v, int)}
    assert "" in found and "a" in found and [] in found and [1] in found
    # 100 divides by 4 but 1,000 doesn't matter: the common multiples are where it decides.
    assert {100, 400} <= set(v for v in found if isinstance(v, int))
    plain = literals_in(tree)
    assert 3 not in plain and "" not in plain


@pytest.mark.parametrize("annotation", ["datetime", "tuple[int, int]", "Callable[[], int]", "Foo"])
def test_annotations_that_are_not_json_cannot_be_generated(annotation):
    with pytest.raises(NotGeneratable):
        strategy_for(annotation)


def test_literals_are_gathered_per_function_most_relevant_first():
    index = LiteralIndex(PARENT, PARENT)

    add = index.for_function("add", ["x", "y"])
    assert add.calls == [{"x": 3, "y": 4}, {"x": 2}]
    assert add.candidates("x")[:2] == [3, 2]
    mean = index.for_function("mean", ["values"])
    assert [1.0, 2.0, 3.0] in mean.candidates("values")
    assert "Small number helpers." not in mean.shared  # docstrings are not inputs


@given(st.integers(-(10**6), 10**6))
def test_numbers_compare_by_value_but_booleans_are_not_numbers(n):
    assert equal_json(n, float(n))
    assert equal_json([{"a": n}], [{"a": n}])
    assert not equal_json(n, n + 1)
    assert not equal_json(True, 1) and not equal_json(0, False)
    assert equal_json(0.1 + 0.2, 0.3)


def test_outcomes_match_on_value_and_error_type_not_message():
    ok = CallResult(ok=True, value=2)
    assert same_outcome(ok, CallResult(ok=True, value=2.0))
    assert not same_outcome(
        ok, CallResult(ok=True, value=2, storage_writes=[{"op": "put", "key": "k", "value": 1}])
    )
    error = CallResult(ok=False, error_kind="error", error_type="ValueError", message="a")
    assert same_outcome(error, CallResult(ok=False, error_kind="error", error_type="ValueError"))
    assert not same_outcome(error, CallResult(ok=False, error_kind="error", error_type="KeyError"))
    timeout = CallResult(ok=False, error_kind="timeout", error_type="WallTimeLimit")
    assert same_outcome(timeout, CallResult(ok=False, error_kind="timeout", error_type="CPU"))
    assert not same_outcome(timeout, ok)
