"""The problems of code, with their places: syntax errors and ruff's findings.

One place for what the editor shows as a person types and what the evaluator counts: the
syntax error comes from Python's own parser (the words `python` itself would say, e.g.
"expected ':'"), the rest from ruff with the evaluator's fixed rule set, run as a subprocess
on a temporary copy of the files. Lines and columns are 1-based, ends included in the range
as Monaco's markers take them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend import syntax
from backend.errors import ProductError
from backend.objects.files import ENTRY_FILE, validate_path
from backend.reward.code import python_files

# A fixed rule set, so scores don't move with anyone's ruff configuration.
RUFF_RULES = "E,W,F,N,UP,B,SIM,C4,C90,RET,PLR0911,PLR0912,PLR0913,PLR0915,PLR1714,PLR5501"
RUFF_LINE_LENGTH = 100
RUFF_MAX_COMPLEXITY = 8
SYNTAX = "syntax"
# Ruff's name for its own parse errors (older versions gave no code at all).
RUFF_SYNTAX_CODES = (None, "", "invalid-syntax", "E999")


class MeasurementError(ProductError):
    """A measuring tool (ruff) is missing or failed where the evaluator runs."""


@dataclass(frozen=True)
class Problem:
    """One problem at one place of one file: a syntax error ("error") or a ruff finding
    ("warning"); `code` is ruff's rule (e.g. F401) or "syntax"."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    severity: str
    message: str
    code: str

    def __str__(self) -> str:
        return f"{self.path} line {self.line}: {self.describe()}"

    def describe(self) -> str:
        """What is wrong, without the place: "expected ':'" or "F401 `os` imported but unused"."""
        return self.message if self.code == SYNTAX else f"{self.code} {self.message}"


def _span(line: int, column: int, end_line: int | None, end_column: int | None) -> tuple:
    """A range that ends after it starts (Python's end of an unclosed bracket is column 0)."""
    line, column = max(line, 1), max(column, 1)
    end_line, end_column = end_line or line, end_column or column
    if (end_line, end_column) <= (line, column):
        end_line, end_column = line, column + 1
    return line, column, end_line, end_column


def syntax_problem(text: str, path: str = ENTRY_FILE) -> Problem | None:
    """Python's syntax error in `text` (the first one; the parser stops there), or None."""
    try:
        syntax.parse(text, filename=path)
    except SyntaxError as error:
        line, column = error.lineno or 1, error.offset or 1
        end_line, end_column = error.end_lineno, error.end_offset
        lines = text.splitlines()
        length = len(lines[line - 1]) if line <= len(lines) else 0
        if length and column > length:  # past the end ("expected ':'"): mark the last char
            column, end_line, end_column = length, line, length + 1
        span = _span(line, column, end_line, end_column)
        return Problem(path, *span, severity="error", message=error.msg, code=SYNTAX)
    except ValueError as error:  # e.g. "source code string cannot contain null bytes"
        return Problem(path, *_span(1, 1, None, None), "error", str(error), SYNTAX)
    return None


def ruff_binary() -> str:
    """The ruff next to this Python (the project's virtualenv), else the one on PATH."""
    beside = Path(sys.executable).parent / "ruff"
    if beside.is_file():
        return str(beside)
    found = shutil.which("ruff")
    if found:
        return found
    raise MeasurementError("the evaluator needs ruff, which is not installed: pip install ruff")


def _ruff_problem(item: dict[str, Any], root: Path) -> Problem:
    start, end = item.get("location") or {}, item.get("end_location") or {}
    code = item.get("code")
    syntax = code in RUFF_SYNTAX_CODES
    return Problem(
        Path(item["filename"]).resolve().relative_to(root.resolve()).as_posix(),
        *_span(start.get("row") or 0, start.get("column") or 0, end.get("row"), end.get("column")),
        severity="error" if syntax else "warning",
        message=item["message"],
        code=SYNTAX if syntax else code,
    )


def ruff_problems(files: Mapping[str, str]) -> list[Problem]:
    """Ruff's findings on the Python files, with the fixed rule set, sorted by place."""
    sources = python_files(files)
    if not sources:
        return []
    with tempfile.TemporaryDirectory(prefix="lint-") as folder:
        root = Path(folder)
        for path, text in sources.items():
            target = root / validate_path(path)  # never a path outside the folder
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        command = [
            ruff_binary(),
            "check",
            "--isolated",
            "--no-cache",
            "--exit-zero",
            "--output-format=json",
            "--target-version=py311",
            f"--line-length={RUFF_LINE_LENGTH}",
            f"--select={RUFF_RULES}",
            "--config",
            f"lint.mccabe.max-complexity = {RUFF_MAX_COMPLEXITY}",
            "--",
            # Named one by one: ruff skips folders such as build/ or venv/ when it searches.
            *sources,
        ]
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise MeasurementError(f"ruff failed: {done.stderr.strip()[:300]}")
        found = [_ruff_problem(item, root) for item in json.loads(done.stdout or "[]")]
    return sorted(found, key=_place)


def _place(problem: Problem) -> tuple:
    return problem.path, problem.line, problem.column, problem.code


def problems(files: Mapping[str, str] | str) -> list[Problem]:
    """Every problem of the Python files (or of one main.py's text), sorted by place.

    A file that doesn't parse has Python's syntax error in place of ruff's own account of
    it (which words the same error differently); ruff's other findings on it still count.
    """
    files = {ENTRY_FILE: files} if isinstance(files, str) else files
    syntax = {
        path: problem
        for path, text in python_files(files).items()
        if (problem := syntax_problem(text, path)) is not None
    }
    found = [
        problem
        for problem in ruff_problems(files)
        if not (problem.code == SYNTAX and problem.path in syntax)
    ]
    return sorted([*syntax.values(), *found], key=_place)
