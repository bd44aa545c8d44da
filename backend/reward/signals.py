"""The measured signals of code, for the preference judge: lint, complexity, docstrings.

Pure measurement, no scoring: ruff's findings with a fixed rule set (`backend.reward.lint`,
which the editor shows too), radon's cyclomatic complexity and maintainability index,
nesting depth and length of each function, docstrings and type hints of public functions,
and the size of the change against the parent.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from radon.complexity import cc_visit
from radon.metrics import mi_visit
from radon.visitors import Class, Function

from backend import syntax
from backend.objects.diff import diff_files
from backend.objects.files import ENTRY_FILE
from backend.objects.schema import derive_api_schema
from backend.reward.code import code_lines, parse, python_files
from backend.reward.lint import MeasurementError, ruff_problems

__all__ = ["Finding", "FunctionShape", "MeasurementError", "lint", "measure"]

NESTING = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try, ast.With, ast.AsyncWith, ast.Match)


@dataclass(frozen=True)
class Finding:
    path: str
    row: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.row} {self.code} {self.message}"


@dataclass(frozen=True)
class FunctionShape:
    path: str
    name: str
    complexity: int
    lines: int
    depth: int


def lint(files: Mapping[str, str]) -> list[Finding]:
    """Ruff's findings on the Python files, with the fixed rule set, sorted by place (the
    problems the editor shows too: `backend.reward.lint`)."""
    found = [Finding(p.path, p.line, p.code, p.message) for p in ruff_problems(files)]
    return sorted(found, key=lambda f: (f.path, f.row, f.code))


def _depth(nodes: Iterable[ast.AST]) -> int:
    """Deepest nesting of blocks among these nodes; an `elif` is not a level deeper."""
    deepest = 0
    for node in nodes:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue  # nested definitions are measured on their own
        if (
            isinstance(node, ast.If)
            and len(node.orelse) == 1
            and isinstance(node.orelse[0], ast.If)
        ):
            level = max(1 + _depth(node.body), _depth(node.orelse))
        elif isinstance(node, NESTING):
            level = 1 + _depth(ast.iter_child_nodes(node))
        else:
            level = _depth(ast.iter_child_nodes(node))
        deepest = max(deepest, level)
    return deepest


def _functions(sources: Mapping[str, str]) -> list[FunctionShape]:
    shapes = []
    for path, text in sources.items():
        tree = parse(text, path)
        if tree is None:
            continue
        nodes = {
            (node.name, node.lineno): node
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        with syntax.LOCK:
            blocks = cc_visit(text)
        source_lines = text.splitlines()
        functions = [b for b in blocks if isinstance(b, Function)]
        functions += [m for b in blocks if isinstance(b, Class) for m in b.methods]
        for block in functions:
            node = nodes.get((block.name, block.lineno))
            lines = 0
            if node is not None:  # its own lines (split once: get_source_segment splits per call)
                body = source_lines[node.lineno - 1 : node.end_lineno or node.lineno]
                lines = code_lines("\n".join(body))
            shapes.append(
                FunctionShape(
                    path=path,
                    name=block.fullname,
                    complexity=block.complexity,
                    lines=lines,
                    depth=_depth(node.body) if node else 0,
                )
            )
    return shapes


def _maintainability_index(sources: Mapping[str, str]) -> float | None:
    """Radon's maintainability index (0-100), averaged over files weighted by their size."""
    weighted, total = 0.0, 0
    for path, text in sources.items():
        if parse(text, path) is None:
            continue
        lines = max(code_lines(text), 1)
        with syntax.LOCK:
            weighted += mi_visit(text, multi=True) * lines
        total += lines
    return weighted / total if total else None


def _public_functions(sources: Mapping[str, str]) -> list[tuple[str, ast.FunctionDef]]:
    """Exported functions of main.py (as the API schema sees them) and public functions
    (and methods of public classes) of the other non-test modules."""
    found = []
    for path, text in sources.items():
        tree = parse(text, path)
        if tree is None:
            continue
        exported = None
        if path == ENTRY_FILE:
            exported = {f["name"] for f in derive_api_schema(text)["functions"]}
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                public = node.name in exported if exported is not None else node.name[0] != "_"
                if public:
                    found.append((path, node))
            elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                found.extend(
                    (path, item)
                    for item in node.body
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                    and not item.name.startswith("_")
                )
    return found


def _annotations(node: ast.FunctionDef) -> tuple[int, int]:
    args = node.args
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    params = [p for p in params if p.arg not in ("self", "cls")]
    params += [p for p in (args.vararg, args.kwarg) if p is not None]
    annotated = sum(1 for p in params if p.annotation is not None) + (node.returns is not None)
    return annotated, len(params) + 1


def measure(
    files: Mapping[str, str], parent_files: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The raw signals, in plain data (stored with the evaluation)."""
    sources = python_files(files, tests=False)
    all_python = python_files(files)
    findings = lint(files)
    lines = sum(code_lines(text) for text in all_python.values())
    functions = _functions(sources)
    public = _public_functions(sources)
    documented = [(p, n) for p, n in public if ast.get_docstring(n)]
    annotated = [_annotations(node) for _, node in public]
    entry_tree = parse(files.get(ENTRY_FILE, ""), ENTRY_FILE)
    signals: dict[str, Any] = {
        "lines": lines,
        "lint": [asdict(f) for f in findings],
        "functions": [asdict(f) for f in functions],
        "maintainability_index": _maintainability_index(sources),
        "public_functions": len(public),
        "missing_docstrings": [n.name for _, n in public if not ast.get_docstring(n)],
        "documented": len(documented),
        "module_docstring": bool(entry_tree and ast.get_docstring(entry_tree)),
        "annotated": sum(a for a, _ in annotated),
        "annotatable": sum(t for _, t in annotated),
        "change": None,
    }
    if parent_files is not None:
        diffs = diff_files(dict(python_files(parent_files)), dict(all_python))
        signals["change"] = {
            "added": sum(d.added_lines for d in diffs),
            "removed": sum(d.removed_lines for d in diffs),
            "parent_lines": sum(code_lines(t) for t in python_files(parent_files).values()),
        }
    return signals
