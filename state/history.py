"""States of the tasks, events and audit-log pages: a filter, newest rows first, live."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import ClassVar

import reflex as rx

from backend.enums import EventName, TaskStatus
from backend.models import AuditEntry, Event, Task
from backend.read_models.history import AuditRow, EventRow, read_audit, read_events
from backend.read_models.tasks import TaskRow, read_tasks
from state.live import LiveMixin, tables_of

ALL = "all"
ROW_LIMIT = 200


def _chosen(value: str) -> str | None:
    """A filter's value for the read models: None for ALL."""
    return None if value == ALL else value


class _FilteredLive(LiveMixin, mixin=True):
    """A live table (`rows`, declared by each page's state) with one filter value (ALL = no
    filter)."""

    selected: str = ALL
    loaded: bool = False

    @rx.event
    def set_filter(self, value: str):
        self.selected = value
        self.loaded = False
        return type(self).refresh_live

    def _live_apply(self, data: list) -> None:
        if data != self.rows:  # unchanged rows are not sent to the browser again
            self.rows = data
        self.loaded = True


class TasksState(_FilteredLive, rx.State):
    live_tables: ClassVar[frozenset[str]] = tables_of(Task)
    rows: list[TaskRow] = []
    choices: list[str] = [ALL, *[status.value for status in TaskStatus]]

    def _live_query(self) -> Callable[[], list[TaskRow]]:
        return partial(read_tasks, _chosen(self.selected), ROW_LIMIT)


class EventsState(_FilteredLive, rx.State):
    live_tables: ClassVar[frozenset[str]] = tables_of(Event)
    rows: list[EventRow] = []
    choices: list[str] = [ALL, *[name.value for name in EventName]]

    def _live_query(self) -> Callable[[], list[EventRow]]:
        return partial(read_events, _chosen(self.selected), ROW_LIMIT)


class AuditState(_FilteredLive, rx.State):
    live_tables: ClassVar[frozenset[str]] = tables_of(AuditEntry)
    rows: list[AuditRow] = []
    choices: list[str] = [ALL]

    def _live_query(self) -> Callable[[], tuple[list[AuditRow], list[str]]]:
        return partial(read_audit, _chosen(self.selected), ROW_LIMIT)

    def _live_apply(self, data: tuple[list[AuditRow], list[str]]) -> None:
        rows, actions = data
        choices = [ALL, *actions]
        if self.selected not in choices:
            choices.append(self.selected)
        if choices != self.choices:
            self.choices = choices
        super()._live_apply(rows)
