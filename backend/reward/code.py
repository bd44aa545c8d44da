"""Reading an object's files as code: which are Python, which are tests, their syntax trees."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import PurePosixPath

from backend import syntax
from backend.objects.schema import analyse_files


def is_python(path: str) -> bool:
    return path.endswith(".py")


def is_test_file(path: str) -> bool:
    """pytest's conventions: tests/ folders, test_*.py, *_test.py and conftest.py."""
    parts = PurePosixPath(path).parts
    name = parts[-1]
    return is_python(path) and (
        "tests" in parts[:-1]
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


def python_files(files: Mapping[str, str], *, tests: bool | None = None) -> dict[str, str]:
    """The Python files; only tests (tests=True), only non-tests (False), or all (None)."""
    return {
        path: text
        for path, text in sorted(files.items())
        if is_python(path) and (tests is None or is_test_file(path) == tests)
    }


def parse(text: str, path: str) -> ast.Module | None:
    """The syntax tree, or None when the file doesn't parse (the constraints judge says so)."""
    try:
        return syntax.parse(text, filename=path)
    except (SyntaxError, ValueError):
        return None


def syntax_errors(files: Mapping[str, str]) -> str | None:
    """Why the Python files don't parse, worded as a version stores it, or None."""
    return analyse_files(dict(files))[1]


def code_lines(text: str) -> int:
    """Lines that are neither blank nor only a comment."""
    return sum(1 for line in text.splitlines() if line.strip() and not line.strip().startswith("#"))
