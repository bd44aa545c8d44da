"""POST /api/events: another system reports an event (payment.failed, payment.succeeded).

    Authorization: Bearer <the event source's key>
    {"type": "payment.failed", "payload": {"amount": 12.5, ...}, "id": "its id"?}

202 {"accepted": true, "event_id": N, "duplicate": false} when stored; the same "id" again
is 202 with "duplicate": true and the first event's id, and stores nothing. 400 malformed
JSON or body, an unknown type (the answer names the known ones), a type not reported from
outside, a payload that fails its check or could never be stored (NUL, lone surrogates,
NaN, too deep, too large: `backend.event_payloads.check_storable`); 401 no key, an unknown
key or a revoked one (each said); 413 a body over SANDBOX_INPUT_BYTES.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from backend import event_sources, events
from backend.api.objects import error_response, read_body
from backend.errors import ProductError


async def report_event(request: Request) -> JSONResponse:
    try:
        body = await read_body(request)  # bounded; parsed after the key is checked
        event, new = await run_in_threadpool(
            events.receive, request.headers.get("authorization"), body
        )
    except ProductError as exc:
        return error_response(exc)
    answer = {"accepted": True, "event_id": event.id, "duplicate": not new}
    return JSONResponse(answer, status_code=202)


routes = [Route(event_sources.EVENTS_PATH, report_event, methods=["POST"])]
