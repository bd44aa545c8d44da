"""POST /api/objects/{slug}/{function}: call a deployed object's function with JSON arguments.

200 with {"result": ...}; 400 malformed JSON or arguments that don't fit the API schema;
401 a token that is not valid, or none for a private object; 403 a token whose person may
not call it; 404 unknown or undeployed object or function; 413 body too large; 422 the
object's code failed (its error type and message, never a host stack trace); 503 the sandbox
can't run code on this machine. Access is checked first: without a fitting token, a private
object's unknown function answers like a real one.

GET /api/objects/{slug}/openapi.json: the deployed version's OpenAPI 3.1 document, under the
same access rule as its calls (401/403 as above, 404 unknown or undeployed object).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from backend import tokens
from backend.config import get_settings
from backend.db import session_scope
from backend.errors import Conflict, InvalidInput, NotFound, ProductError, Unauthorized
from backend.objects import runtime
from backend.permissions import PermissionDenied
from backend.sandbox import SandboxUnavailable


class TooLarge(ProductError):
    """The request body is over the limit."""


_STATUS: list[tuple[type[ProductError], int]] = [
    (TooLarge, 413),
    (NotFound, 404),
    (InvalidInput, 400),
    (Unauthorized, 401),
    (runtime.Forbidden, 403),
    (PermissionDenied, 403),
    (runtime.ObjectFailed, 422),
    (SandboxUnavailable, 503),
    (Conflict, 409),
]


def error_response(exc: ProductError) -> JSONResponse:
    """The answer every API route gives for a refusal: its status and one sentence."""
    status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 400)
    body: dict[str, Any] = {"error": str(exc)}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(exc, runtime.ObjectFailed):
        result = exc.result
        # "input": the sandbox found the arguments don't fit after all; the caller's fault.
        status = 400 if result.error_kind == "input" else 422
        body = {
            "error": result.error_kind,
            "type": result.error_type,
            "message": result.message,
        }
    return JSONResponse(body, status_code=status, headers=headers)


async def read_json(request: Request) -> Any:
    """The request's JSON body (empty means {}); too large or malformed is refused."""
    return parse_json(await read_body(request))


async def read_body(request: Request) -> bytes:
    """The request's body; `TooLarge` as soon as it is over SANDBOX_INPUT_BYTES."""
    limit = get_settings().sandbox_input_bytes
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge(f"request body is over {limit} bytes")
    return body


def parse_json(body: bytes) -> Any:
    """A body as JSON (empty means {}); `InvalidInput` when it is not JSON."""
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"body is not valid JSON: {exc}") from None


def caller(authorization: str | None):
    """The person an Authorization header names; None for none (every API route's first step)."""
    with session_scope() as session:
        return tokens.caller(session, authorization)


async def call_function(request: Request) -> JSONResponse:
    slug, function = request.path_params["slug"], request.path_params["function"]
    try:
        user = await run_in_threadpool(caller, request.headers.get("authorization"))
        await run_in_threadpool(runtime.authorize, slug, user)
        args = await read_json(request)
        target = await run_in_threadpool(runtime.resolve_call, slug, function, args, user=user)
        value = await run_in_threadpool(runtime.execute, target)
    except ProductError as exc:
        return error_response(exc)
    return JSONResponse({"result": value})


async def openapi(request: Request) -> JSONResponse:
    try:
        user = await run_in_threadpool(caller, request.headers.get("authorization"))
        document = await run_in_threadpool(
            runtime.read_openapi, request.path_params["slug"], user=user
        )
    except ProductError as exc:
        return error_response(exc)
    return JSONResponse(document)


routes = [
    Route("/api/objects/{slug}/openapi.json", openapi, methods=["GET"]),
    Route("/api/objects/{slug}/{function}", call_function, methods=["POST"]),
]
