"""An OpenAPI 3.1 document for a deployed object, generated from its API schema.

Each exported function is `POST /api/objects/{slug}/{function}` with a JSON object of its
parameters; the answer is `{"result": ...}` or one of the errors `backend/api/objects.py`
gives. Parameter types come from the annotations (the same JSON-shaped ones the call checks,
`backend.objects.arguments`); any other annotation accepts any JSON value.
"""

from __future__ import annotations

import ast
from typing import Any

from backend import syntax
from backend.objects.schema import ApiSchema, function_signature

OPENAPI_VERSION = "3.1.0"
SECURITY_SCHEME = "apiToken"
_TYPES = {
    "int": "integer",
    "float": "number",
    "str": "string",
    "bool": "boolean",
    "list": "array",
    "dict": "object",
    "None": "null",
}
_ANY = {"Any", "object"}
#: The errors a call can answer with (besides 401/403 for private objects).
_ERRORS = {
    "400": "The body is not JSON the API reads (no NUL in strings, no NaN, within the "
    "depth, number and size limits), or the arguments don't fit the function.",
    "404": "The object is not deployed, or has no such function.",
    "413": "The request body is too large.",
    "422": "The object's code raised an error or broke a sandbox limit.",
    "503": "The sandbox can't run code on this machine, or the database is busy (then "
    "Retry-After says how long to wait).",
}
_ACCESS_ERRORS = {
    "401": "No valid API token was sent (the object is private).",
    "403": "The token's owner may not call this object.",
}


def _schema_of(node: ast.expr) -> dict[str, Any]:
    """JSON Schema for an annotation's syntax tree; {} (anything) when not understood."""
    if isinstance(node, ast.Constant) and node.value is None:
        return {"type": "null"}
    if isinstance(node, ast.Name | ast.Attribute):
        name = ast.unparse(node).removeprefix("typing.")
        if name in _ANY:
            return {}
        kind = _TYPES.get({"List": "list", "Dict": "dict"}.get(name, name))
        return {"type": kind} if kind else {}
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        options = [_schema_of(node.left), _schema_of(node.right)]
        return {} if {} in options else {"anyOf": options}
    if isinstance(node, ast.Subscript):
        outer = ast.unparse(node.value).removeprefix("typing.")
        inner = node.slice
        if outer == "Optional":
            return _schema_of(ast.BinOp(left=inner, op=ast.BitOr(), right=ast.Constant(None)))
        if outer in ("list", "List"):
            return {"type": "array", "items": _schema_of(inner)}
        if outer in ("dict", "Dict"):
            values = (
                inner.elts[1] if isinstance(inner, ast.Tuple) and len(inner.elts) == 2 else None
            )
            return {
                "type": "object",
                **({"additionalProperties": _schema_of(values)} if values else {}),
            }
    return {}


def annotation_schema(annotation: str | None) -> dict[str, Any]:
    """JSON Schema for an annotation's source text (e.g. "list[int] | None")."""
    if not annotation:
        return {}
    try:
        return _schema_of(syntax.parse(annotation, mode="eval").body)
    except SyntaxError:
        return {}


def _default(source: str | None) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(source) if source is not None else None
    except (ValueError, SyntaxError, TypeError):
        return False, None


def _arguments_schema(function: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for param in function["params"]:
        if param["kind"] not in ("positional_or_keyword", "keyword_only"):
            continue
        schema = annotation_schema(param["annotation"])
        if param["default"] is not None:
            known, value = _default(param["default"])
            if known:
                schema = {**schema, "default": value}
        properties[param["name"]] = schema
        if param["required"]:
            required.append(param["name"])
    extra = any(param["kind"] == "var_keyword" for param in function["params"])
    return {
        "type": "object",
        "properties": properties,
        **({"required": required} if required else {}),
        "additionalProperties": extra,
    }


def _response(description: str, schema_ref: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}},
    }


def _operation(slug: str, function: dict[str, Any], public: bool) -> dict[str, Any]:
    doc = (function.get("doc") or "").strip()
    errors = _ERRORS if public else {**_ERRORS, **_ACCESS_ERRORS}
    arguments = _arguments_schema(function)
    return {
        "operationId": function["name"],
        "summary": doc.splitlines()[0] if doc else function_signature(function),
        "description": f"`{function_signature(function)}`" + (f"\n\n{doc}" if doc else ""),
        # An empty body is no arguments: required only when some parameter has no default.
        "requestBody": {
            "required": bool(arguments.get("required")),
            "content": {"application/json": {"schema": arguments}},
        },
        "responses": {
            "200": {
                "description": "What the function returned.",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {"result": annotation_schema(function.get("returns"))},
                            "required": ["result"],
                        }
                    }
                },
            },
            **{code: _response(text, "Error") for code, text in sorted(errors.items())},
        },
    }


def openapi_document(
    *,
    slug: str,
    name: str,
    description: str,
    version: int,
    api_schema: ApiSchema,
    public: bool,
    base_url: str,
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of an object's deployed version `version`."""
    functions = api_schema.get("functions", [])
    document: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": name or slug,
            "version": f"v{version}",
            "description": description or api_schema.get("doc") or f"The durable object {slug}.",
        },
        "servers": [{"url": base_url.rstrip("/")}],
        "paths": {
            f"/api/objects/{slug}/{function['name']}": {"post": _operation(slug, function, public)}
            for function in functions
        },
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "description": "Why the call was refused or failed.",
                    "properties": {
                        "error": {"type": "string"},
                        "type": {"type": "string"},
                        "message": {"type": "string"},
                    },
                    "required": ["error"],
                }
            },
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token (the Tokens page, or `tokens create`).",
                }
            },
        },
    }
    if not public:
        document["security"] = [{SECURITY_SCHEME: []}]
    return document
