"""Twilio's webhooks: thin doors onto `backend.telephony`.

Each route reads the form, checks `X-Twilio-Signature` against the URL Twilio called (built
from PUBLIC_BASE_URL, never from the Host header) over every form parameter, and answers 403
with nothing done when it doesn't hold, is missing, or Twilio is not configured. A valid
request makes one call into `backend.telephony` and answers its TwiML. The work runs in a
thread: the database calls block. An SMS answer comes as a Future that resolves once its
record is committed (`backend.telephony.records`): it is awaited here, with no thread held.

    POST /webhooks/voice            a call comes in
    POST /webhooks/voice/command    what the caller said
    POST /webhooks/voice/pin        the PIN on the keypad
    POST /webhooks/voice/confirm    1 to confirm, 2 to cancel
    POST /webhooks/voice/menu       the keypad menu
    POST /webhooks/voice/alert      1 acknowledges an alert call, 2 pauses, 3 silences
    POST /webhooks/voice/amd        who answered an alert call (answering-machine detection)
    POST /webhooks/voice/status     call status callbacks
    POST /webhooks/sms              a message comes in
    POST /webhooks/sms/status       message status callbacks
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future

import anyio
import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.api.errors import Forbidden, guarded
from backend.api.inputs import read_body
from backend.config import get_settings
from backend.errors import InvalidInput
from backend.telephony import signature, sms, voice
from backend.urls import (
    SMS_PATH,
    SMS_STATUS_PATH,
    VOICE_ALERT_PATH,
    VOICE_AMD_PATH,
    VOICE_COMMAND_PATH,
    VOICE_CONFIRM_PATH,
    VOICE_MENU_PATH,
    VOICE_PATH,
    VOICE_PIN_PATH,
    VOICE_STATUS_PATH,
)

FORBIDDEN = "This webhook only answers requests signed by Twilio for this product."
_limiter: anyio.CapacityLimiter | None = None


def _threads() -> anyio.CapacityLimiter:
    """At most WEBHOOK_THREADS webhooks work at once; a burst queues here rather than in the
    database's write lock, where SQLite's busy waits made the slowest answers ten times
    slower (bench/webhook_latency.py)."""
    global _limiter
    if _limiter is None:  # made on first use, inside the server's event loop
        _limiter = anyio.CapacityLimiter(get_settings().webhook_threads)
    return _limiter


async def _signed_form(request: Request) -> dict[str, str]:
    """The form's first values; `Forbidden` unless the request is signed by Twilio. The body
    is bounded (API_MAX_BODY_BYTES) and, once signed, may hold no NUL, which no text column
    stores."""
    await read_body(request)  # 413 beyond the limit; Starlette keeps it for `form()`
    form = await request.form()
    items = [(key, str(value)) for key, value in form.multi_items()]
    valid = signature.is_valid(
        request.url.path,
        request.url.query,
        items,
        request.headers.get("x-twilio-signature", ""),
    )
    if not valid:
        raise Forbidden(FORBIDDEN)
    fields = {key: str(value) for key, value in form.items()}
    if any("\x00" in text for pair in fields.items() for text in pair):
        raise InvalidInput("form fields may not hold NUL characters")
    return fields


#: A webhook step: the form and our query parameters in, the TwiML (or its Future) out.
_Handler = Callable[[dict[str, str], dict[str, str]], str | Future[str]]


def _route(path: str, handle: _Handler) -> Route:
    @guarded
    async def endpoint(request: Request) -> Response:
        form = await _signed_form(request)
        query = dict(request.query_params)
        body = await anyio.to_thread.run_sync(handle, form, query, limiter=_threads())
        if isinstance(body, Future):
            body = await asyncio.wrap_future(body)
        if not body:
            return Response(status_code=204)
        return Response(body, media_type="application/xml")

    endpoint.__name__ = handle.__name__
    return Route(path, endpoint, methods=["POST"])


def _voice(step: Callable[[voice.Call], str]) -> _Handler:
    def handle(form: dict[str, str], query: dict[str, str]) -> str:
        return step(voice.Call(form=form, query=query))

    handle.__name__ = f"voice_{step.__name__}"
    return handle


def _sms(step: Callable[[dict[str, str]], str | Future[str]]) -> _Handler:
    def handle(form: dict[str, str], query: dict[str, str]) -> str | Future[str]:
        return step(form)

    handle.__name__ = f"sms_{step.__name__}"
    return handle


routes = [
    _route(VOICE_PATH, _voice(voice.incoming)),
    _route(VOICE_COMMAND_PATH, _voice(voice.command)),
    _route(VOICE_PIN_PATH, _voice(voice.pin)),
    _route(VOICE_CONFIRM_PATH, _voice(voice.confirm)),
    _route(VOICE_MENU_PATH, _voice(voice.menu)),
    _route(VOICE_ALERT_PATH, _voice(voice.alert)),
    _route(VOICE_AMD_PATH, _voice(voice.answered_by)),
    _route(VOICE_STATUS_PATH, _voice(voice.status)),
    _route(SMS_PATH, _sms(sms.incoming)),
    _route(SMS_STATUS_PATH, _sms(sms.status)),
]
