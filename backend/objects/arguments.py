"""Checking a call's JSON arguments against a function's API schema, before any code runs.

Annotations are source text from the syntax tree. The common JSON-shaped ones (int, float,
str, bool, list, dict, None, Any, X | None, Optional[X], list[X], dict[str, X]) are checked;
any other annotation is accepted as it is and left to the object's own code.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable
from typing import Any

from backend import syntax
from backend.errors import InvalidInput

_SIMPLE = {
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "str": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "list": lambda v: isinstance(v, list),
    "dict": lambda v: isinstance(v, dict),
    "None": lambda v: v is None,
}
_PASS = {"Any", "object", "typing.Any"}


Check = Callable[[Any], "bool | None"]


def _either(left: Check, right: Check) -> Check:
    def check(value: Any) -> bool | None:
        results = [left(value), right(value)]
        if True in results:
            return True
        return None if None in results else False

    return check


def _checker(node: ast.expr) -> Check:
    """A check of one value: True/False when the annotation is understood, else None."""
    if isinstance(node, ast.Constant) and node.value is None:
        return lambda value: value is None
    if isinstance(node, ast.Name | ast.Attribute):
        name = ast.unparse(node)
        if name in _PASS:
            return lambda value: True
        simple = _SIMPLE.get(
            name.removeprefix("typing.").lower() if name.startswith("typing.") else name
        )
        return simple or (lambda value: None)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _either(_checker(node.left), _checker(node.right))
    if isinstance(node, ast.Subscript):
        outer = ast.unparse(node.value).removeprefix("typing.")
        inner = node.slice
        if outer == "Optional":
            check = _checker(inner)
            return lambda value: True if value is None else check(value)
        if outer in ("list", "List"):
            item = _checker(inner)
            return lambda value: (
                isinstance(value, list) and all(item(each) is not False for each in value)
            )
        if outer in ("dict", "Dict"):
            if isinstance(inner, ast.Tuple) and len(inner.elts) == 2:
                item = _checker(inner.elts[1])
                return lambda value: (
                    isinstance(value, dict)
                    and all(item(each) is not False for each in value.values())
                )
            return lambda value: isinstance(value, dict)
    return lambda value: None


@functools.lru_cache(maxsize=1024)
def _annotation_check(annotation: str) -> Check:
    try:
        node = syntax.parse(annotation, mode="eval").body
    except SyntaxError:
        return lambda value: None
    return _checker(node)


def check_value(annotation: str | None, value: Any) -> bool:
    """Whether a JSON value fits an annotation (unknown annotations fit anything)."""
    return not annotation or _annotation_check(annotation)(value) is not False


def bind_arguments(function: dict[str, Any], args: Any) -> dict[str, Any]:
    """Check `args` (a JSON object) against a function's schema; returns the keyword arguments.

    Each refusal starts with a word, not the function's name, so a page that words it as a
    sentence (capital first) doesn't rename `c_to_f` to "C_to_f".
    """
    if not isinstance(args, dict):
        raise InvalidInput("arguments must be a JSON object of parameter names to values")
    name = function["name"]
    params = {p["name"]: p for p in function["params"]}
    accepts_extra = any(p["kind"] == "var_keyword" for p in function["params"])
    for param in function["params"]:
        if param["kind"] == "positional_only" and param["required"]:
            raise InvalidInput(
                f"function {name}() has positional-only parameter {param['name']!r}, which "
                "can't be given as JSON; make it an ordinary parameter"
            )
    unknown = [key for key in args if key not in params or params[key]["kind"].startswith("var_")]
    if unknown and not accepts_extra:
        raise InvalidInput(f"function {name}() has no parameter {', '.join(map(repr, unknown))}")
    missing = [p["name"] for p in function["params"] if p["required"] and p["name"] not in args]
    if missing:
        raise InvalidInput(f"function {name}() is missing required {', '.join(map(repr, missing))}")
    for key, value in args.items():
        param = params.get(key)
        if param and not check_value(param["annotation"], value):
            raise InvalidInput(
                f"function {name}() parameter {key!r} should be {param['annotation']}, "
                f"got {type(value).__name__} {value!r:.60}"
            )
    return args
