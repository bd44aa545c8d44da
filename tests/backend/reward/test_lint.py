"""`backend.reward.lint.problems`: what the editor marks as a person types, and the evaluator
counts: Python's own syntax error, and ruff's findings with their places."""

from __future__ import annotations

from backend.reward.lint import SYNTAX, Problem, problems
from backend.reward.signals import lint


def test_a_missing_colon_is_pythons_own_words_at_its_place():
    (problem,) = problems("def f(x)\n    return x\n")
    assert problem == Problem(
        path="main.py",
        line=1,
        column=8,  # the colon is missing after the end: the last character is marked
        end_line=1,
        end_column=9,
        severity="error",
        message="expected ':'",
        code=SYNTAX,
    )
    assert str(problem) == "main.py line 1: expected ':'"


def test_a_range_ends_after_it_starts_so_the_editor_can_underline_it():
    (problem,) = problems("x = (1,\n")  # Python ends an unclosed bracket at column 0
    assert (problem.line, problem.column, problem.end_line, problem.end_column) == (1, 5, 1, 6)


def test_a_missing_indent_names_the_block_it_belongs_to():
    (problem,) = problems("def f(x):\nreturn x\n")
    assert (problem.line, problem.severity) == (2, "error")
    assert problem.message == "expected an indented block after function definition on line 1"


def test_ruff_findings_come_with_their_rule_and_span():
    found = problems("import os\n\n\ndef f(l):\n    return l\n")
    assert [(p.code, p.line, p.column, p.end_column, p.severity) for p in found] == [
        ("F401", 1, 8, 10, "warning"),
        ("E741", 4, 7, 8, "warning"),
    ]
    assert found[0].describe() == "F401 `os` imported but unused"


def test_each_file_has_its_own_problems_and_ruff_doesnt_repeat_the_syntax_error():
    found = problems(
        {"main.py": "x = (1,\n", "test_main.py": "import sys\n", "README.md": "not code"}
    )
    assert [(p.path, p.code) for p in found] == [("main.py", SYNTAX), ("test_main.py", "F401")]
    assert found[0].message == "'(' was never closed"


def test_clean_code_has_no_problems_and_the_evaluator_counts_the_same_findings():
    assert problems('"""Fine."""\n\n\ndef f(x: int) -> int:\n    return x\n') == []
    files = {"main.py": "import os\n\n\ndef f(l):\n    return l\n"}
    assert [(f.row, f.code, f.message) for f in lint(files)] == [
        (p.line, p.code, p.message) for p in problems(files)
    ]
