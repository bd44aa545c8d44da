"""State of the dashboard: counts, recent events, open tasks and the busiest and failing
objects, refreshed live."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import reflex as rx

from backend.models import DurableObject, Event, Modification, Task
from backend.read_models.dashboard import DashboardView, read_dashboard
from backend.read_models.history import EventRow
from backend.read_models.object_health import ObjectHealthRow
from backend.read_models.tasks import TaskRow
from state.live import LiveMixin, tables_of


class DashboardState(LiveMixin, rx.State):
    live_tables: ClassVar[frozenset[str]] = tables_of(DurableObject, Modification, Task, Event)
    counts: dict[str, int] = {}
    tasks: list[TaskRow] = []
    events: list[EventRow] = []
    busiest: list[ObjectHealthRow] = []
    failing: list[ObjectHealthRow] = []
    loaded: bool = False

    def _live_query(self) -> Callable[[], DashboardView]:
        return read_dashboard

    def _live_apply(self, data: DashboardView) -> None:
        if data.counts != self.counts:
            self.counts = data.counts
        if data.tasks != self.tasks:
            self.tasks = data.tasks
        if data.events != self.events:
            self.events = data.events
        if data.busiest != self.busiest:
            self.busiest = data.busiest
        if data.failing != self.failing:
            self.failing = data.failing
        self.loaded = True
