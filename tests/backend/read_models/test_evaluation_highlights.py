"""The evaluation's highlights in `evaluate --json` and on the page (issue 13, item 5)."""

from __future__ import annotations

import json

from sqlmodel import select

import cli.main as cli
from backend.db import session_scope
from backend.models import Evaluation
from backend.read_models.evaluations import evaluation_view
from backend.reward.highlights import highlight_lines, highlights
from tests.backend.reward.test_preference_relative import BADLY_WRITTEN, RENAMED

pytest_plugins = ["tests.support.llm_fixtures"]

TESTS = """from main import f, g


def test_f():
    assert f([1, 4, 5, None], 2) == [8, 5]


def test_g():
    assert g(True, 3) == 3
"""


def test_evaluate_json_and_the_page_show_the_parent_comparison_and_mutation_score(
    sqlite_db, no_llm, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tests").mkdir()
    (tmp_path / "main.py").write_text(BADLY_WRITTEN)
    (tmp_path / "tests" / "test_main.py").write_text(TESTS)
    files = ["--file", "main.py", "--file", "tests/test_main.py"]
    assert cli.main(["objects", "create", "--slug", "bad", "--name", "Bad", *files]) == 0
    (tmp_path / "main.py").write_text(RENAMED["main.py"])
    edit = ["objects", "edit", "bad", *files, "--intent", "refactor", "--no-evaluate"]
    assert cli.main(edit) == 0
    capsys.readouterr()

    assert cli.main(["evaluate", "bad", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    found = report["highlights"]
    assert found["parent_comparison"]["no_worse"]
    assert found["mutation"]["ran"] > 0 and found["mutation"]["score"] is not None
    assert report["scores"]["preference"] >= report["thresholds"]["preference"]
    assert "functions" in found  # the differential check ran: inputs per function

    with session_scope() as session:
        evaluation = session.exec(select(Evaluation).order_by(Evaluation.id.desc())).first()
        view = evaluation_view(evaluation)
    assert any(line.startswith("mutation score: tests kill") for line in view.highlights)
    assert any(line.startswith("against the parent: no worse") for line in view.highlights)


def test_hooks_show_inputs_by_source_coverage_and_the_first_difference_when_present():
    factuality = {
        "mutation": {"ran": 10, "killed": 3, "score": 0.3, "weak": True, "weak_below": 0.5},
        "differential": {
            "functions": {
                "add": {
                    "compared": 40,
                    "inputs_by_source": {"docstring": 2},
                    "branch_coverage": 0.5,
                }
            },
            "differences": [
                {"function": "add", "args": {"x": -1}, "parent": "returned 0", "new": "returned 1"}
            ],
        },
    }
    found = highlights({}, factuality, accepted=True)
    lines = highlight_lines(found)
    assert "add(): 40 inputs compared; by source: docstring 2; branch coverage 50%" in lines
    assert "first differing input: add(x=-1): parent returned 0, new version returned 1" in lines
    assert found["warnings"] and "weak tests" in found["warnings"][0]
    assert highlights({}, {}, accepted=True) == {"warnings": []}  # older evaluations
    assert highlight_lines({"warnings": []}) == []


def test_branch_coverage_per_version_and_inputs_stopped_early():
    """The differential report's per-function branch coverage, new version and parent; and a
    function whose check stopped at its differences: how many of the planned inputs ran."""
    differential = {
        "functions": {
            "add": {
                "inputs": ["{}"] * 40,
                "compared": 15,
                "differences": 3,
                "inputs_by_source": {"docstring": 1, "test": 1, "literal": 7, "type": 31},
                "branch_coverage": {
                    "new": {"covered": 7, "total": 8},
                    "parent": {"covered": 8, "total": 8},
                },
            },
            "flat": {
                "inputs": ["{}"] * 5,
                "compared": 5,
                "differences": 0,
                "branch_coverage": {
                    "new": {"covered": 0, "total": 0},
                    "parent": {"covered": 0, "total": 0},
                },
            },
            "only_new": {"compared": 2, "branch_coverage": {"new": {"covered": 1, "total": 2}}},
            "unrolled": {
                "compared": 3,
                "branch_coverage": {
                    "new": {"covered": 0, "total": 0},
                    "parent": {"covered": 3, "total": 4},
                },
            },
            "older": {"compared": 4},
        }
    }
    lines = highlight_lines(highlights({}, {"differential": differential}, accepted=False))
    assert lines == [
        "add(): 15 of 40 inputs compared, 3 differed; by source: docstring 1, test 1, "
        "literal 7, type 31; branch coverage 7/8 (88%) new, 8/8 parent",
        "flat(): 5 inputs compared; branch coverage no branches to cover",
        "older(): 4 inputs compared",
        "only_new(): 2 inputs compared; branch coverage 1/2 (50%) new",
        "unrolled(): 3 inputs compared; branch coverage no branches in the new version, 3/4 parent",
    ]
