"""The dashboard at a glance: counts, open tasks and the latest events."""

from __future__ import annotations

import dataclasses

from backend.db import session_scope
from backend.read_models import queries as dashboard
from backend.read_models.history import EventRow, event_row
from backend.read_models.tasks import TaskRow, open_task_rows


@dataclasses.dataclass
class DashboardView:
    counts: dict[str, int]
    tasks: list[TaskRow]
    events: list[EventRow]


def read_dashboard(tasks: int = 20, events: int = 10) -> DashboardView:
    with session_scope() as session:
        return DashboardView(
            counts=dashboard.counts(session),
            tasks=open_task_rows(session, limit=tasks),
            events=[event_row(e) for e in dashboard.latest_events(session, limit=events)],
        )
