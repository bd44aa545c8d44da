"""Recording events: the one place an Event row is written (monitors act on them later)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from backend.enums import Channel, EventName
from backend.models import Event


def emit(
    session: Session,
    name: EventName,
    payload: dict[str, Any],
    *,
    source: Channel = Channel.SYSTEM,
) -> Event:
    """Add an event to the caller's transaction, so it exists only if the change commits."""
    event = Event(name=EventName(name), payload=payload, source=source)
    session.add(event)
    return event
