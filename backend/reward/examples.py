"""Worked examples in docstrings, as inputs for differential testing.

Authors often show what a function does with a few calls: doctest lines (`>>> f(2)`) or
prose forms such as `f(x) ==> y`, `f(x) -> y`, `f(x) == y` and `f(x) ➞ y`. Those arguments
are the ones the author thought mattered (a valid date, a card number that passes its
checksum) and random generation rarely finds them. The call is parsed with `ast` and kept
only when every argument is a literal; nothing is run.
"""

from __future__ import annotations

import ast
from typing import Any

from backend import syntax
from backend.reward.literals import literal_value, unique

_SEPARATORS = ("==>", "➞", "->", "==")


def _call_text(line: str, name: str) -> str | None:
    """The `name(...)` part of a docstring line that shows a call, if any."""
    text = line.strip()
    if text.startswith(">>>"):
        text = text[3:]
    else:
        for separator in _SEPARATORS:
            if separator in text:
                text = text.split(separator, 1)[0]
                break
        else:
            return None
    start = text.find(f"{name}(")
    if start < 0:
        return None
    return text[start:].strip().rstrip(",;:.").strip()


def _bind(call: ast.Call, params: list[str]) -> dict[str, Any] | None:
    """The call's arguments by parameter name, or None unless all are literals."""
    args: dict[str, Any] = {}
    if len(call.args) > len(params):
        return None
    for name, node in zip(params, call.args, strict=False):
        ok, value = literal_value(node)
        if not ok or isinstance(node, ast.Starred):
            return None
        args[name] = value
    for keyword in call.keywords:
        ok, value = literal_value(keyword.value)
        if not ok or keyword.arg not in params:
            return None
        args[keyword.arg] = value
    return args


def docstring_calls(docstrings: list[str], name: str, params: list[str]) -> list[dict[str, Any]]:
    """The literal calls of `name` shown in `docstrings`, in order, without repeats."""
    found = []
    for docstring in docstrings:
        for line in docstring.splitlines():
            text = _call_text(line, name)
            if not text:
                continue
            try:
                node = syntax.parse(text, mode="eval").body
            except SyntaxError:
                continue
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == name:
                args = _bind(node, params)
                if args is not None:
                    found.append(args)
    return unique(found)


def function_docstrings(trees: list[ast.Module | None], name: str) -> list[str]:
    """The docstring of top-level function `name` in each tree that has one."""
    found = []
    for tree in trees:
        for node in tree.body if tree else []:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
                docstring = ast.get_docstring(node)
                if docstring:
                    found.append(docstring)
    return found
