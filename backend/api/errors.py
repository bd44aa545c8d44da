"""How every /api/ and /webhooks/ route answers when it does not answer normally.

One JSON shape for all of them: `{"error": "<one sentence>"}`; a call whose object failed
adds `"type"` and `"message"` (the error kind stays in "error"). The status comes from the
kind of `ProductError` (`error_response`). `guarded` wraps every endpoint so that nothing
escapes as Starlette's plain-text 500:

- a database that can't give a connection now (the pool stayed empty for DB_POOL_TIMEOUT,
  PostgreSQL refused the connection: "too many clients", connection refused, a server going
  away) answers 503 with `Retry-After`, since waiting is the cure;
- anything else unexpected is logged with its stack and answers 500 JSON, which names no
  internals. Tests assert hostile input never gets here.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from backend.access.permissions import PermissionDenied
from backend.config import get_settings
from backend.db import database_unavailable
from backend.errors import Conflict, InvalidInput, NotFound, ProductError, Unauthorized
from backend.objects import runtime
from backend.sandbox import SandboxUnavailable

logger = logging.getLogger(__name__)

#: The answer to anything unexpected; the log has the rest.
INTERNAL_ERROR = "the server failed to answer this request; it is logged"


class TooLarge(ProductError):
    """The request body is over the limit (413)."""


class Forbidden(ProductError):
    """The request is not allowed at all, whoever asks (403); e.g. an unsigned webhook."""


_STATUS: list[tuple[type[ProductError], int]] = [
    (TooLarge, 413),
    (NotFound, 404),
    (InvalidInput, 400),
    (Unauthorized, 401),
    (Forbidden, 403),
    (runtime.Forbidden, 403),
    (PermissionDenied, 403),
    (runtime.ObjectFailed, 422),
    (SandboxUnavailable, 503),
    (Conflict, 409),
]


def json_error(
    status: int, error: str, /, *, headers: dict[str, str] | None = None, **fields: Any
) -> JSONResponse:
    """The one error shape: {"error": error, ...fields}."""
    return JSONResponse({"error": error, **fields}, status_code=status, headers=headers)


def error_response(exc: ProductError) -> JSONResponse:
    """The answer every route gives for a refusal: its status and one sentence."""
    status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 400)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(exc, runtime.ObjectFailed):
        result = exc.result
        # "input": the sandbox found the arguments don't fit after all; the caller's fault.
        return json_error(
            400 if result.error_kind == "input" else 422,
            result.error_kind,
            type=result.error_type,
            message=result.message,
        )
    return json_error(status, str(exc), headers=headers)


def retry_after_seconds() -> int:
    """What a 503 for a busy database tells the caller to wait: one pool timeout."""
    return max(1, math.ceil(get_settings().db_pool_timeout))


def busy_response() -> JSONResponse:
    wait = retry_after_seconds()
    return json_error(
        503,
        f"the database is busy or unreachable; try again in {wait} seconds",
        headers={"Retry-After": str(wait)},
    )


Endpoint = Callable[[Request], Awaitable[Response]]


def guarded(endpoint: Endpoint) -> Endpoint:
    """`endpoint`, answering refusals, a busy database and anything unexpected in JSON."""

    @functools.wraps(endpoint)
    async def answer(request: Request) -> Response:
        try:
            return await endpoint(request)
        except ProductError as exc:
            return error_response(exc)
        except ClientDisconnect:
            return json_error(400, "the client went away before the body was read")
        except HTTPException as exc:  # Starlette's own refusals, e.g. a malformed multipart form
            return json_error(exc.status_code, str(exc.detail), headers=exc.headers)
        except Exception as exc:
            if database_unavailable(exc):
                logger.warning(
                    "%s %s: database unavailable: %s", request.method, request.url.path, exc
                )
                return busy_response()
            logger.exception("%s %s failed", request.method, request.url.path)
            return json_error(500, INTERNAL_ERROR)

    return answer
