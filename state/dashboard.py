"""State of the dashboard: counts, recent events and open tasks, refreshed live."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import ClassVar

import reflex as rx

from backend import dashboard
from backend.db import session_scope
from backend.models import DurableObject, Event, Modification, Task
from state.live import LiveMixin, tables_of
from state.rows import EventRow, TaskRow


@dataclasses.dataclass
class DashboardData:
    counts: dict[str, int]
    tasks: list[TaskRow]
    events: list[EventRow]


def read_dashboard() -> DashboardData:
    with session_scope() as session:
        return DashboardData(
            counts=dashboard.counts(session),
            tasks=[TaskRow.from_model(t) for t in dashboard.open_tasks(session, limit=20)],
            events=[EventRow.from_model(e) for e in dashboard.latest_events(session, limit=10)],
        )


class DashboardState(LiveMixin, rx.State):
    live_tables: ClassVar[frozenset[str]] = tables_of(DurableObject, Modification, Task, Event)
    counts: dict[str, int] = {}
    tasks: list[TaskRow] = []
    events: list[EventRow] = []
    loaded: bool = False

    def _live_query(self) -> Callable[[], DashboardData]:
        return read_dashboard

    def _live_apply(self, data: DashboardData) -> None:
        if data.counts != self.counts:
            self.counts = data.counts
        if data.tasks != self.tasks:
            self.tasks = data.tasks
        if data.events != self.events:
            self.events = data.events
        self.loaded = True
