"""Events reported from outside the product (payments and the like).

Actions the product itself performs are recorded with `backend.activity.record`, which writes
the audit entry and the Event together; this module is for the rest.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from backend.enums import EXTERNAL_EVENTS, Channel, EventName
from backend.models import Event


def emit(
    session: Session,
    name: EventName,
    payload: dict[str, Any],
    *,
    source: Channel = Channel.API,
) -> Event:
    """Add an external event to the caller's transaction, so it exists only if that commits."""
    name = EventName(name)
    if name not in EXTERNAL_EVENTS:
        raise ValueError(f"{name} is an action; record it with activity.record")
    event = Event(name=name, payload=payload, source=source)
    session.add(event)
    return event
