"""What happened, as people read it: events and audit entries, newest first."""

from __future__ import annotations

import dataclasses

from backend.db import session_scope
from backend.models import AuditEntry, Event
from backend.read_models import queries
from backend.read_models.display import short_json, when


@dataclasses.dataclass
class EventRow:
    id: int
    name: str
    source: str
    payload: str
    created: str


def event_row(event: Event) -> EventRow:
    return EventRow(
        id=event.id or 0,
        name=str(event.name),
        source=str(event.source),
        payload=short_json(event.payload),
        created=when(event.created_at, seconds=True),
    )


@dataclasses.dataclass
class AuditRow:
    id: int
    actor: str
    channel: str
    action: str
    detail: str
    created: str


def audit_row(entry: AuditEntry) -> AuditRow:
    return AuditRow(
        id=entry.id or 0,
        actor=entry.actor,
        channel=str(entry.channel),
        action=entry.action,
        detail=short_json(entry.detail),
        created=when(entry.created_at, seconds=True),
    )


def read_events(name: str | None = None, limit: int = 50) -> list[EventRow]:
    """Events newest first, optionally with one name."""
    with session_scope() as session:
        return [event_row(e) for e in queries.latest_events(session, name, limit)]


def read_audit(action: str | None = None, limit: int = 100) -> tuple[list[AuditRow], list[str]]:
    """Audit entries newest first (optionally of one action), and every action recorded."""
    with session_scope() as session:
        rows = [audit_row(entry) for entry in queries.latest_audit(session, action, limit)]
        return rows, queries.distinct_values(session, AuditEntry.action)
