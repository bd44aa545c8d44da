"""Twilio retries a webhook it got no timely answer to: the same request gets the same answer
and does nothing twice. Keys: "sms:<MessageSid>", "voice:<CallSid>:<step>:<what was said>"."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from backend.db import session_scope
from backend.models import WebhookReceipt

KEY_MAX = 200


def answer_to(key: str) -> Select:
    """The statement that reads the answer already given to `key` (no row for no key: an
    empty key is never kept)."""
    return select(WebhookReceipt.response).where(WebhookReceipt.key == key[:KEY_MAX])


def stored(session: Session, key: str) -> str | None:
    """The answer already given to `key` (None: not seen yet, or no key)."""
    return session.exec(answer_to(key)).first() if key else None


def keep(session: Session, key: str, response: str) -> None:
    """Remember the answer to `key` in the caller's transaction; a copy answered meanwhile
    makes that transaction fail on commit (IntegrityError), so nothing is done twice."""
    if key:
        session.add(WebhookReceipt(key=key[:KEY_MAX], response=response))


def _stored(key: str) -> str | None:
    with session_scope() as session:
        return stored(session, key)


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
