"""Twilio retries a webhook it got no timely answer to: the same request gets the same answer
and does nothing twice. Keys: "sms:<MessageSid>", "voice:<CallSid>:<step>:<what was said>"."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from backend.db import session_scope
from backend.models import WebhookReceipt

KEY_MAX = 200


def _stored(key: str) -> str | None:
    with session_scope() as session:
        row = session.exec(select(WebhookReceipt).where(WebhookReceipt.key == key)).first()
        return None if row is None else row.response


def once(key: str, answer: Callable[[], str]) -> str:
    """`answer()` the first time `key` is seen, the stored answer every later time.

    An empty key (a request without a SID) is never deduplicated.
    """
    key = key[:KEY_MAX]
    if not key:
        return answer()
    stored = _stored(key)
    if stored is not None:
        return stored
    response = answer()
    try:
        with session_scope() as session:
            session.add(WebhookReceipt(key=key, response=response))
    except IntegrityError:
        # Two copies ran at once (rare: Twilio retries after 15 s); answer as the first did.
        return _stored(key) or response
    return response
