"""Display rows for tables: plain strings and numbers, already formatted for the browser."""

from __future__ import annotations

import dataclasses
import json

from backend.models import AuditEntry, Event, Task
from state.wording import when


def _short_json(value: object, limit: int = 160) -> str:
    text = json.dumps(value, default=str, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclasses.dataclass
class TaskRow:
    id: int
    kind: str
    status: str
    progress: int
    message: str
    created: str
    finished: str

    @classmethod
    def from_model(cls, task: Task) -> TaskRow:
        return cls(
            id=task.id or 0,
            kind=task.kind,
            status=str(task.status),
            progress=int(task.progress),
            message=task.error.splitlines()[0] if task.error else task.message,
            created=when(task.created_at, seconds=True),
            finished=when(task.finished_at, seconds=True),
        )


@dataclasses.dataclass
class EventRow:
    id: int
    name: str
    source: str
    payload: str
    created: str

    @classmethod
    def from_model(cls, event: Event) -> EventRow:
        return cls(
            id=event.id or 0,
            name=str(event.name),
            source=str(event.source),
            payload=_short_json(event.payload),
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

    @classmethod
    def from_model(cls, entry: AuditEntry) -> AuditRow:
        return cls(
            id=entry.id or 0,
            actor=entry.actor,
            channel=str(entry.channel),
            action=entry.action,
            detail=_short_json(entry.detail),
            created=when(entry.created_at, seconds=True),
        )
