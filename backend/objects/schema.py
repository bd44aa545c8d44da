"""The API schema of an object, read from the syntax tree of its `main.py`.

The code is parsed, never imported or run: it is untrusted. The exported functions are the
public (no leading underscore) top-level functions, or exactly those named in a literal
`__all__` when the module has one.
"""

from __future__ import annotations

import ast
from typing import Any

from backend import syntax
from backend.objects.files import ENTRY_FILE

ApiSchema = dict[str, Any]


def _source(node: ast.AST | None) -> str | None:
    return None if node is None else ast.unparse(node)


def _literal_all(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            try:
                names = ast.literal_eval(node.value)
            except ValueError:
                return None
            if isinstance(names, list | tuple) and all(isinstance(n, str) for n in names):
                return list(names)
    return None


def _parameters(args: ast.arguments) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    positional = [*args.posonlyargs, *args.args]
    first_default = len(positional) - len(args.defaults)
    for index, arg in enumerate(positional):
        default = args.defaults[index - first_default] if index >= first_default else None
        kind = "positional_only" if index < len(args.posonlyargs) else "positional_or_keyword"
        params.append(_parameter(arg, kind, default))
    if args.vararg:
        params.append(_parameter(args.vararg, "var_positional", None))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        params.append(_parameter(arg, "keyword_only", default))
    if args.kwarg:
        params.append(_parameter(args.kwarg, "var_keyword", None))
    return params


def _parameter(arg: ast.arg, kind: str, default: ast.expr | None) -> dict[str, Any]:
    return {
        "name": arg.arg,
        "kind": kind,
        "annotation": _source(arg.annotation),
        "required": default is None and kind not in ("var_positional", "var_keyword"),
        "default": _source(default),
    }


def _function(node: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, Any]:
    return {
        "name": node.name,
        "params": _parameters(node.args),
        "returns": _source(node.returns),
        "doc": ast.get_docstring(node),
        "is_async": isinstance(node, ast.AsyncFunctionDef),
        "line": node.lineno,
    }


def derive_api_schema(source: str, filename: str = ENTRY_FILE) -> ApiSchema:
    """The exported functions of a module's source. Raises SyntaxError if it doesn't parse."""
    tree = syntax.parse(source, filename=filename)
    exported = _literal_all(tree)
    functions = [
        _function(node)
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (node.name in exported if exported is not None else not node.name.startswith("_"))
    ]
    return {"doc": ast.get_docstring(tree), "functions": functions}


def _describe(error: SyntaxError, path: str) -> str:
    where = f"{path} line {error.lineno}" if error.lineno else path
    return f"{where}: {error.msg}"


def analyse_files(files: dict[str, str]) -> tuple[ApiSchema, str | None]:
    """The API schema of `main.py`, and the syntax errors of any Python file (or None)."""
    schema: ApiSchema = {"doc": None, "functions": []}
    errors: list[str] = []
    for path, text in files.items():
        if not path.endswith(".py"):
            continue
        try:
            if path == ENTRY_FILE:
                schema = derive_api_schema(text, path)
            else:
                syntax.parse(text, filename=path)
        except SyntaxError as exc:
            errors.append(_describe(exc, path))
    return schema, "; ".join(errors) or None


def function_signature(function: dict[str, Any]) -> str:
    """A one-line signature for people: `add(x: int, y: int = 1, *, z=0) -> int`."""
    params = function["params"]
    kinds = [param["kind"] for param in params]
    parts: list[str] = []
    for index, param in enumerate(params):
        first_keyword_only = param["kind"] == "keyword_only" and not (
            {"var_positional", "keyword_only"} & set(kinds[:index])
        )
        if first_keyword_only:
            parts.append("*")
        text = {"var_positional": "*", "var_keyword": "**"}.get(param["kind"], "") + param["name"]
        if param["annotation"]:
            text += f": {param['annotation']}"
        if param["default"] is not None:
            text += f" = {param['default']}" if param["annotation"] else f"={param['default']}"
        parts.append(text)
        if param["kind"] == "positional_only" and kinds[index + 1 : index + 2] != [
            "positional_only"
        ]:
            parts.append("/")
    returns = f" -> {function['returns']}" if function["returns"] else ""
    return f"{function['name']}({', '.join(parts)}){returns}"
