"""The dashboard at a glance: counts, open tasks, the latest events, and the objects called
most and failing in the last hour."""

from __future__ import annotations

import dataclasses

from backend.db import session_scope
from backend.read_models import queries as dashboard
from backend.read_models.history import EventRow, event_row
from backend.read_models.object_health import ObjectHealthRow, read_dashboard_health
from backend.read_models.tasks import TaskRow, open_task_rows


@dataclasses.dataclass
class DashboardView:
    counts: dict[str, int]
    tasks: list[TaskRow]
    events: list[EventRow]
    busiest: list[ObjectHealthRow]
    failing: list[ObjectHealthRow]


def read_dashboard(tasks: int = 20, events: int = 10) -> DashboardView:
    with session_scope() as session:
        counts = dashboard.counts(session)
        task_rows = open_task_rows(session, limit=tasks)
        event_rows = [event_row(e) for e in dashboard.latest_events(session, limit=events)]
    health = read_dashboard_health()
    return DashboardView(
        counts=counts,
        tasks=task_rows,
        events=event_rows,
        busiest=health.busiest,
        failing=health.failing,
    )
