"""A refactor is judged against its parent on preference (issue 13, item 3)."""

from __future__ import annotations

from backend.config import get_settings
from backend.enums import Verdict
from backend.reward import evaluate_preference, judge
from backend.reward.relative import compare

pytest_plugins = ["tests.support.llm_fixtures"]

BADLY_WRITTEN = """import os, sys
def f(l, n):
    r = []
    for i in range(len(l)):
        if l[i] != None:
            if l[i] > n:
                if l[i] % 2 == 0:
                    r.append(l[i] * 2)
                else:
                    r.append(l[i])
            else:
                pass
        else:
            pass
    return r
def g(a,b):
    if a == True:
        return b
    else:
        return None
"""
PARENT = {"main.py": BADLY_WRITTEN}
RENAMED = {  # a local variable renamed: the API and the behaviour are the parent's
    "main.py": BADLY_WRITTEN.replace("r = []", "kept = []")
    .replace("r.append", "kept.append")
    .replace("return r\n", "return kept\n")
}
WORSE = {
    "main.py": BADLY_WRITTEN.replace(
        "    return r\n",
        "    x = 0\n    if x == 0:\n        if x == 0:\n            if x == 0:\n"
        "                return r\n    return r\n",
    )
}


def _preference(files, *, relative=True):
    return evaluate_preference(files, PARENT, use_llm=False, relative=relative)


def test_a_renaming_refactor_of_bad_code_passes_preference_with_the_reason(no_llm):
    threshold = get_settings().threshold_preference
    absolute = _preference(RENAMED, relative=False)
    assert absolute.score < threshold  # the parent was just as bad: it fails on its own

    result = _preference(RENAMED)
    assert result.score == threshold and result.details["own_score"] < threshold
    parent = result.details["parent"]
    assert parent["no_worse"] and parent["parent_score"] < threshold
    assert set(parent["verdicts"].values()) == {"same"}
    reason = result.reasons[-1]
    assert "same as the parent on readability (" in reason
    assert "passes preference as a refactor" in reason
    assert judge([result], require=("preference",)).verdict == Verdict.ACCEPT


def test_a_refactor_that_makes_the_code_worse_is_still_refused(no_llm):
    result = _preference(WORSE)
    assert result.score == result.details["own_score"] < get_settings().threshold_preference
    assert not result.details["parent"]["no_worse"]
    assert "worse on " in result.reasons[-1] and "absolute threshold" in result.reasons[-1]
    assert judge([result], require=("preference",)).verdict == Verdict.REJECT


def test_new_code_keeps_the_absolute_threshold(no_llm):
    result = _preference(RENAMED, relative=False)
    assert "parent" not in result.details and "own_score" not in result.details


def test_sub_scores_compare_better_same_worse_within_the_tolerance():
    comparison = compare(
        {"readability": 0.58, "elegance": 0.9, "documentation": 0.3},
        {"readability": 0.57, "elegance": 0.5, "documentation": 0.6},
        tolerance=0.02,
    )
    assert comparison.verdicts == {
        "readability": "same",
        "elegance": "better",
        "documentation": "worse",
    }
    assert comparison.describe() == (
        "same as the parent on readability (0.58 vs 0.57); better on elegance (0.90 vs 0.50); "
        "worse on documentation (0.30 vs 0.60)"
    )
