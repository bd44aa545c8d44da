"""The problems of one file as the editor shows them while a person types: Python's syntax
error and the evaluator's ruff findings (`backend.reward.lint`), each with its place."""

from __future__ import annotations

import dataclasses

from backend.objects.files import MAX_FILE_BYTES
from backend.reward.code import is_python
from backend.reward.lint import problems


@dataclasses.dataclass
class ProblemView:
    """One problem: its range (1-based, as Monaco's markers take it), "error" or "warning",
    ruff's rule or "syntax", and what is wrong ("expected ':'", "F401 `os` imported...")."""

    line: int
    column: int
    end_line: int
    end_column: int
    severity: str
    code: str
    message: str


def file_problems(path: str, text: str) -> list[ProblemView]:
    """The problems of `text`, the file `path` of a version being edited; none for a file
    that isn't Python, or one too large to save anyway (saving says so)."""
    if not is_python(path) or len(text.encode("utf-8", "replace")) > MAX_FILE_BYTES:
        return []
    names = [field.name for field in dataclasses.fields(ProblemView)]
    return [
        ProblemView(**{**{name: getattr(p, name) for name in names}, "message": p.describe()})
        for p in problems({path: text})
    ]
