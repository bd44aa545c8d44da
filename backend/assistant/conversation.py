"""What the product waits for from one number on one channel, until it expires.

A question asked by phone or SMS ("which one?", "your PIN?", "press 1 to confirm") is kept
here, so the next call turn or message is read as its answer; an old one is forgotten.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Select
from sqlmodel import Session, col, select

from backend.config import get_settings
from backend.enums import Channel, Intent
from backend.models import Conversation, utcnow


def _row(session: Session, phone: str, channel: Channel) -> Conversation | None:
    statement = select(Conversation).where(
        Conversation.phone == phone, Conversation.channel == str(channel)
    )
    return session.exec(statement).first()


def waiting(phone: str, channel: Channel) -> Select:
    """The statement that reads the pending state (None when none or expired), for a caller
    that reads it along with other things; `get` reads it alone."""
    return select(Conversation.state).where(
        Conversation.phone == phone,
        Conversation.channel == str(channel),
        col(Conversation.expires_at) > utcnow(),
    )


def get(session: Session, phone: str, channel: Channel) -> dict[str, Any] | None:
    """The pending state for this number and channel, or None (none, or expired)."""
    row = _row(session, phone, channel)
    if row is None or row.expires_at <= utcnow():
        return None
    return dict(row.state)


def put(
    session: Session,
    phone: str,
    channel: Channel,
    state: dict[str, Any],
    *,
    minutes: float | None = None,
) -> None:
    """Keep `state` for this number and channel (replacing any), for CONVERSATION_MINUTES."""
    minutes = minutes if minutes is not None else get_settings().conversation_minutes
    row = _row(session, phone, channel) or Conversation(phone=phone, channel=str(channel))
    row.state = state
    row.expires_at = utcnow() + timedelta(minutes=minutes)
    row.updated_at = utcnow()
    session.add(row)
    session.flush()


def clear(session: Session, phone: str, channel: Channel) -> None:
    """Forget what this number was asked."""
    row = _row(session, phone, channel)
    if row is not None:
        session.delete(row)
        session.flush()


def approval_pending(modification_id: int, name: str) -> dict[str, Any]:
    """The state of an offer to approve (YES + PIN) or reject (NO + reason) a change."""
    return {
        "kind": "confirm",
        "decide": True,
        "modification_id": modification_id,
        "action": f"approve change number {modification_id} to {name}",
        "command": {
            "intent": str(Intent.APPROVE),
            "modification_id": modification_id,
            "confidence": 1.0,
            "text": f"approve change {modification_id}",
        },
    }


def rollback_pending(offer: dict[str, Any]) -> dict[str, Any]:
    """The state of an alert's offer to roll back (`alerts.rollback_offer`): ROLLBACK (or
    YES) and the PIN go back to the offered version and deploy it."""
    name, version = offer["name"], int(offer["version"])
    return {
        "kind": "confirm",
        "offer": "rollback",
        "firing_id": offer.get("firing_id"),
        "slug": offer["slug"],
        "action": f"roll {name} back to version {version} and deploy it",
        "command": {
            "intent": str(Intent.ROLLBACK),
            "target": name,
            "version": version,
            "confidence": 1.0,
            "text": "rollback",
        },
    }
