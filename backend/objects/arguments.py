"""Checking a call's JSON arguments against a function's API schema, before any code runs.

Annotations are source text from the syntax tree. The common JSON-shaped ones (int, float,
str, bool, list, dict, None, Any, X | None, Optional[X], list[X], dict[str, X]) are checked;
any other annotation is accepted as it is and left to the object's own code.
"""

from __future__ import annotations

import ast
from typing import Any

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


def _fits(node: ast.expr, value: Any) -> bool | None:
    """True/False when the annotation could be checked, None when it is not understood."""
    if isinstance(node, ast.Constant) and node.value is None:
        return value is None
    if isinstance(node, ast.Name | ast.Attribute):
        name = ast.unparse(node)
        if name in _PASS:
            return True
        check = _SIMPLE.get(
            name.removeprefix("typing.").lower() if name.startswith("typing.") else name
        )
        return check(value) if check else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        results = [_fits(node.left, value), _fits(node.right, value)]
        if True in results:
            return True
        return None if None in results else False
    if isinstance(node, ast.Subscript):
        outer = ast.unparse(node.value).removeprefix("typing.")
        inner = node.slice
        if outer == "Optional":
            return True if value is None else _fits(inner, value)
        if outer in ("list", "List"):
            if not isinstance(value, list):
                return False
            results = [_fits(inner, item) for item in value]
            return False not in results
        if outer in ("dict", "Dict"):
            if not isinstance(value, dict):
                return False
            if isinstance(inner, ast.Tuple) and len(inner.elts) == 2:
                results = [_fits(inner.elts[1], item) for item in value.values()]
                return False not in results
            return True
    return None


def check_value(annotation: str | None, value: Any) -> bool:
    """Whether a JSON value fits an annotation (unknown annotations fit anything)."""
    if not annotation:
        return True
    try:
        node = ast.parse(annotation, mode="eval").body
    except SyntaxError:
        return True
    return _fits(node, value) is not False


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
