"""The text of every prompt, built from plain data (files, API schema, plan, feedback).

Kept apart from the calls so the wording can be read and changed in one place, and so tests
can check that what matters (the feedback of the last attempt, earlier rejections) reaches
the model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from backend.objects.diff import diff_files, render
from backend.objects.schema import function_signature

MAX_FILE_CHARS = 40_000  # per file; longer files are cut with a note, to bound prompt size

OBJECT_RULES = """\
An object is a small Python package whose main.py defines plain functions; the public
(non-underscore) top-level functions of main.py are its API, called with JSON arguments.
It runs in a sandbox: no network, no subprocesses, no signals, no files outside its scratch
folder, no secrets; only the standard library is available. Type hints on exported functions
are part of the API. Tests live in tests/test_*.py and use plain pytest asserts."""

PLANNER_SYSTEM = f"""You plan changes to durable objects.
{OBJECT_RULES}
Plan the smallest change that does what the person asked. Set changes_api and
changes_behaviour truthfully: they decide which checks the change must pass."""

CODER_SYSTEM = f"""You write Python code for durable objects.
{OBJECT_RULES}
Write clear, idiomatic, documented code (a docstring on every exported function, type hints,
no dead code). Keep the API unless the plan says it changes; never delete or weaken tests;
add tests for new behaviour. Return the complete text of every file you change."""

JUDGE_SYSTEM = f"""You review code changes to durable objects, strictly and fairly.
{OBJECT_RULES}
Base every judgement on the code shown; name the functions or lines your reasons refer to."""


def system(text: str) -> dict[str, str]:
    return {"role": "system", "content": text}


def user(*sections: str) -> dict[str, str]:
    return {"role": "user", "content": "\n\n".join(s for s in sections if s)}


def section(title: str, body: str) -> str:
    return f"## {title}\n{body.strip()}" if body.strip() else ""


def render_files(files: Mapping[str, str]) -> str:
    """Each file under its path, fenced."""
    if not files:
        return "(no files yet)"
    parts = []
    for path, text in sorted(files.items()):
        if len(text) > MAX_FILE_CHARS:
            text = text[:MAX_FILE_CHARS] + f"\n# ... cut: the file has {len(text)} characters"
        fence = "```python" if path.endswith(".py") else "```"
        parts.append(f"### {path}\n{fence}\n{text.rstrip()}\n```")
    return "\n\n".join(parts)


def render_api(api_schema: Mapping[str, Any] | None) -> str:
    """The exported functions, one signature per line with the first line of its docstring."""
    functions = (api_schema or {}).get("functions") or []
    if not functions:
        return "(main.py exports no functions)"
    lines = []
    for function in functions:
        doc = (function.get("doc") or "").strip().splitlines()
        lines.append(f"- {function_signature(function)}" + (f"  # {doc[0]}" if doc else ""))
    return "\n".join(lines)


def render_plan(plan: BaseModel | Mapping[str, Any] | None) -> str:
    """A plan (any of the plan schemas, or its stored dict) as readable text."""
    if plan is None:
        return ""
    data = plan.model_dump() if isinstance(plan, BaseModel) else dict(plan)
    lines = []
    for key, value in data.items():
        label = key.replace("_", " ")
        if isinstance(value, list):
            lines.append(f"{label}:")
            lines.extend(f"  - {_item(item)}" for item in value)
        else:
            lines.append(f"{label}: {value}")
    return "\n".join(lines)


def _item(item: Any) -> str:
    if isinstance(item, Mapping):
        return "; ".join(f"{k}: {v}" for k, v in item.items())
    return str(item)


def render_diff(parent_files: Mapping[str, str] | None, files: Mapping[str, str]) -> str:
    """The change as a unified diff, or a note that the object is new."""
    if parent_files is None:
        return "(a new object: there is no earlier version)"
    patch = render(diff_files(dict(parent_files), dict(files), labels=("before", "after")))
    return patch or "(no differences)"


def render_feedback(feedback: str = "", rejections: Iterable[str] = ()) -> str:
    """What went wrong before: the last attempt's evaluation and people's rejections."""
    parts = []
    if feedback.strip():
        parts.append(
            section(
                "Feedback on your previous attempt (fix every point)",
                feedback,
            )
        )
    reasons = [reason.strip() for reason in rejections if reason and reason.strip()]
    if reasons:
        parts.append(
            section(
                "Earlier changes to this object that people rejected, and why (avoid these)",
                "\n".join(f"- {reason}" for reason in reasons),
            )
        )
    return "\n\n".join(parts)
