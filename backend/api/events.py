"""POST /api/events: another system reports an event (payment.failed, payment.succeeded).

    Authorization: Bearer <the event source's key>
    {"type": "payment.failed", "payload": {"amount": 12.5, ...}, "id": "its id"?}

202 {"accepted": true, "event_id": N, "duplicate": false} when stored; the same "id" again
is 202 with "duplicate": true and the first event's id, and stores nothing. 400 a body that
is not JSON the API reads (`backend.api.inputs`: malformed, NaN, too deep, NUL...; refused
before the key is looked at, like a body over the limit), then, after the key: a body that is
not an object, an unknown type (the answer names the known ones), a type not reported from
outside, a payload that fails its check or could never be stored (NUL, lone surrogates,
NaN, an integer beyond 64 bits, too deep, too large: `backend.events.payloads.check_storable`);
401 no key, an unknown key or a revoked one (each said); 413 a body over API_MAX_BODY_BYTES;
503 the database is busy (Retry-After).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from backend.api.errors import guarded
from backend.api.inputs import parse_json, read_body
from backend.events import reported as events
from backend.events import sources


@guarded
async def report_event(request: Request) -> JSONResponse:
    body = await read_body(request)
    # The API's checks first; `events.receive` checks the key, then reads the same bytes.
    parse_json(body, empty=b"")
    event, new = await run_in_threadpool(events.receive, request.headers.get("authorization"), body)
    answer = {"accepted": True, "event_id": event.id, "duplicate": not new}
    return JSONResponse(answer, status_code=202)


routes = [Route(sources.EVENTS_PATH, report_event, methods=["POST"])]
