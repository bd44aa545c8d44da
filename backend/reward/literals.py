"""Literal values in an object's source, as candidate inputs for differential testing.

Random inputs rarely hit the values a program special-cases (a magic number, a keyword, a
boundary), but the tests and the code usually spell them out. So, for each exported
function, the literals are gathered from the syntax trees (never by running anything) and
ordered by how closely they concern that function:

1. arguments of the tests' own calls to it (`add(3, -1)` gives x=3, y=-1), by parameter;
2. literals anywhere in the test functions that mention it (parametrize lists included);
3. literals in its body, in either version;
4. every other literal of the test files;
5. the neighbours of its body's literals (an integer's k - 1 and k + 1, the other side of a
   boundary; the empty and one-element forms of a string or list; the common multiples of
   the numbers it takes remainders by), then the literals of the
   rest of the code.

Only JSON values are kept (numbers, strings, booleans, None, small lists and dicts).
"""

from __future__ import annotations

import ast
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from backend.reward.code import parse, python_files

MAX_LITERAL_CHARS = 200  # longer literals (docstrings, fixtures) are not plausible inputs
MAX_PER_FUNCTION = 200
MAX_MODULUS = 10_000


def _jsonable(value: Any) -> Any:
    """The JSON form of a literal (tuples become lists), or raise ValueError."""
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("not finite")
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {key: _jsonable(item) for key, item in value.items()}
    raise ValueError(f"{type(value).__name__} is not JSON")


def literal_value(node: ast.AST) -> tuple[bool, Any]:
    """(True, value) when `node` is a small JSON-shaped literal, else (False, None)."""
    if not isinstance(node, ast.expr) or isinstance(node, ast.Set):
        return False, None
    try:
        value = _jsonable(ast.literal_eval(node))
        text = json.dumps(value, allow_nan=False)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return False, None
    if len(text) > MAX_LITERAL_CHARS:
        return False, None
    return True, value


def _walk(tree: ast.AST) -> tuple[list[Any], list[Any]]:
    """One walk of `tree`: its literals in source order, and the same with each literal's
    neighbours and the common multiples of its moduli (see `literals_in`)."""
    docstrings: set[int] = set()  # a docstring is reached after the node whose body holds it
    plain: list[Any] = []
    wide: list[Any] = []
    moduli: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                docstrings.add(id(value))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            modulus = getattr(node.right, "value", None)
            if type(modulus) is int and 1 < modulus <= MAX_MODULUS:
                moduli.add(modulus)
        if id(node) in docstrings or isinstance(node, ast.JoinedStr):
            continue
        if isinstance(node, ast.Constant | ast.UnaryOp | ast.List | ast.Tuple | ast.Dict):
            ok, value = literal_value(node)
            if ok:
                plain.append(value)
                wide += [value, *_neighbours(value)]
    ordered = sorted(moduli)
    # The values that divide by one modulus and not another are where such code decides
    # (`year % 4`, `year % 100`: a leap year).
    wide += [math.lcm(a, b) for i, a in enumerate(ordered) for b in ordered[i + 1 :]]
    return plain, wide


def literals_in(tree: ast.AST, *, neighbours: bool = False) -> list[Any]:
    """Every literal under `tree` in source order: scalars, negative numbers and the
    containers that are literals as a whole; with `neighbours`, each one's neighbours too
    and the least common multiple of each pair of numbers it takes remainders by."""
    plain, wide = _walk(tree)
    return wide if neighbours else plain


def _neighbours(value: Any) -> list[Any]:
    """The values just beside a literal: k - 1 and k + 1 for an integer k (the other side
    of a boundary drawn at k), the empty and one-element forms of a string or list."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value - 1, value + 1]
    if isinstance(value, str | list) and len(value) > 1:
        return [value[:0], value[:1]]
    return []


def _calls(tree: ast.AST) -> Iterable[ast.Call]:
    return (node for node in ast.walk(tree) if isinstance(node, ast.Call))


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def names_in(tree: ast.AST) -> set[str]:
    """The names and attribute names `tree` mentions."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
    return found


def _test_functions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append(node)
        elif isinstance(node, ast.ClassDef):
            found += [
                item
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            ]
    return found


_KEY = json.JSONEncoder(sort_keys=True, allow_nan=False).encode  # made once: keys are many


def key(value: Any) -> str:
    """A key that tells 1, 1.0 and True apart (Python's == doesn't)."""
    return _KEY(value)


def unique(values: Iterable[Any]) -> list[Any]:
    seen: set[str] = set()
    result = []
    for value in values:
        k = key(value)
        if k not in seen:
            seen.add(k)
            result.append(value)
    return result


@dataclass
class FunctionLiterals:
    """The literals concerning one function: whole calls the tests make, and candidate
    values per parameter (most relevant first; `shared` fits any parameter)."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    by_param: dict[str, list[Any]] = field(default_factory=dict)
    shared: list[Any] = field(default_factory=list)

    def candidates(self, param: str) -> list[Any]:
        return unique([*self.by_param.get(param, []), *self.shared])[:MAX_PER_FUNCTION]


def _bind_call(call: ast.Call, params: list[str], found: FunctionLiterals) -> None:
    """Record the literal arguments of one call; a call made only of literals is kept whole."""
    whole: dict[str, Any] | None = {}
    for index, arg in enumerate(call.args):
        ok, value = literal_value(arg)
        name = params[index] if index < len(params) and not isinstance(arg, ast.Starred) else None
        if ok and name:
            found.by_param.setdefault(name, []).append(value)
            if whole is not None:
                whole[name] = value
        else:
            whole = None
    for keyword in call.keywords:
        ok, value = literal_value(keyword.value)
        if ok and keyword.arg in params:
            found.by_param.setdefault(keyword.arg, []).append(value)
            if whole is not None:
                whole[keyword.arg] = value
        else:
            whole = None
    if whole is not None:
        found.calls.append(whole)


def _function_body(tree: ast.Module | None, name: str) -> ast.AST | None:
    for node in tree.body if tree else []:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return node
    return None


class LiteralIndex:
    """The parsed test and code files of both versions, asked one function at a time."""

    def __init__(self, files: Mapping[str, str], parent_files: Mapping[str, str] | None) -> None:
        versions = [files, *([parent_files] if parent_files else [])]
        self.test_trees = [
            tree
            for path, text in python_files(files, tests=True).items()
            if (tree := parse(text, path)) is not None
        ]
        self.entry_trees = [parse(version.get("main.py", ""), "main.py") for version in versions]
        self.code_trees = [
            tree
            for version in versions
            for path, text in python_files(version, tests=False).items()
            if (tree := parse(text, path)) is not None
        ]
        self._test_literals = unique(v for tree in self.test_trees for v in literals_in(tree))
        self._code_literals = unique(
            v for tree in self.code_trees for v in literals_in(tree, neighbours=True)
        )
        # One walk of the tests, asked once per function: calls by the name they call, and
        # each test function's mentioned names with its literals.
        self._calls: dict[str, list[ast.Call]] = {}
        for tree in self.test_trees:
            for call in _calls(tree):
                self._calls.setdefault(_called_name(call), []).append(call)
        self._tests = [
            (names_in(test), literals_in(test))
            for tree in self.test_trees
            for test in _test_functions(tree)
        ]

    def for_function(self, name: str, params: list[str]) -> FunctionLiterals:
        found = FunctionLiterals()
        for call in self._calls.get(name, []):
            _bind_call(call, params, found)
        mentioning = [value for names, values in self._tests if name in names for value in values]
        walked = [_walk(body) for tree in self.entry_trees if (body := _function_body(tree, name))]
        own = [value for plain, _ in walked for value in plain]
        boundaries = [value for _, wide in walked for value in wide]
        found.calls = unique(found.calls)
        found.by_param = {param: unique(values) for param, values in found.by_param.items()}
        found.shared = unique(
            [*mentioning, *own, *self._test_literals, *boundaries, *self._code_literals]
        )
        return found
