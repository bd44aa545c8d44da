"""POST /api/objects/{slug}/{function}: call a deployed object's function with JSON arguments.

200 with {"result": ...}; 400 malformed JSON or arguments that don't fit the API schema;
401 a token that is not valid, or none for a private object; 403 a token whose person may
not call it; 404 unknown or undeployed object or function; 413 body too large; 422 the
object's code failed (its error type and message, never a host stack trace); 503 the sandbox
can't run code on this machine, or the database is busy (with Retry-After). An empty body is
no arguments; what the body may hold is `backend.api.inputs`'s to say. Access is checked
first: without a fitting token, a private object's unknown function answers like a real one.

GET /api/objects/{slug}/openapi.json: the deployed version's OpenAPI 3.1 document, under the
same access rule as its calls (401/403 as above, 404 unknown or undeployed object).
"""

from __future__ import annotations

import anyio
import anyio.to_thread
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from backend.accounts import tokens
from backend.api.errors import guarded
from backend.api.inputs import read_json, slug_param
from backend.config import get_settings
from backend.objects import runtime

_calls: anyio.CapacityLimiter | None = None


def _call_slots() -> anyio.CapacityLimiter:
    """Object calls run at once in this process. On PostgreSQL a call holds two connections
    (the object's advisory lock and its session, taken in that order), so more calls than
    half the pool could each hold a lock connection and wait for a session forever (until
    DB_POOL_TIMEOUT): at most half the pool's connections go to calls at once."""
    global _calls
    if _calls is None:  # made on first use, inside the server's event loop
        settings = get_settings()
        if settings.resolved_database_url.startswith("postgresql"):
            slots = max(1, (settings.db_pool_size + settings.db_max_overflow) // 2)
        else:
            slots = settings.sandbox_pool_size
        _calls = anyio.CapacityLimiter(slots)
    return _calls


def caller(authorization: str | None):
    """The person an Authorization header names; None for none (every API route's first step)."""
    return tokens.caller(authorization)


@guarded
async def call_function(request: Request) -> JSONResponse:
    slug, function = slug_param(request), request.path_params["function"]
    user = await run_in_threadpool(caller, request.headers.get("authorization"))
    await run_in_threadpool(runtime.authorize, slug, user)
    # An empty body is no arguments: what a function whose parameters all have defaults takes.
    args = await read_json(request, limit=get_settings().sandbox_input_bytes, empty={})
    target = await run_in_threadpool(runtime.resolve_call, slug, function, args, user=user)
    value = await anyio.to_thread.run_sync(runtime.execute, target, limiter=_call_slots())
    return JSONResponse({"result": value})


@guarded
async def openapi(request: Request) -> JSONResponse:
    slug = slug_param(request)
    user = await run_in_threadpool(caller, request.headers.get("authorization"))
    document = await run_in_threadpool(runtime.read_openapi, slug, user=user)
    return JSONResponse(document)


routes = [
    Route("/api/objects/{slug}/openapi.json", openapi, methods=["GET"]),
    Route("/api/objects/{slug}/{function}", call_function, methods=["POST"]),
]
