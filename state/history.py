"""States of the tasks, events and audit-log pages: a filter, newest rows first, live."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import ClassVar

import reflex as rx

from backend import dashboard
from backend.db import session_scope
from backend.enums import EventName, TaskStatus
from backend.models import AuditEntry, Event, Task
from state.live import LiveMixin, tables_of
from state.rows import AuditRow, EventRow, TaskRow

ALL = "all"
ROW_LIMIT = 200


def read_tasks(status: str) -> list[TaskRow]:
    with session_scope() as session:
        rows = dashboard.latest_tasks(
            session, status=None if status == ALL else status, limit=ROW_LIMIT
        )
        return [TaskRow.from_model(task) for task in rows]


def read_events(name: str) -> list[EventRow]:
    with session_scope() as session:
        rows = dashboard.latest_events(session, None if name == ALL else name, ROW_LIMIT)
        return [EventRow.from_model(event) for event in rows]


def read_audit(action: str) -> tuple[list[AuditRow], list[str]]:
    with session_scope() as session:
        rows = dashboard.latest_audit(session, None if action == ALL else action, ROW_LIMIT)
        actions = dashboard.distinct_values(session, AuditEntry.action)
        return [AuditRow.from_model(entry) for entry in rows], actions


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
        return partial(read_tasks, self.selected)


class EventsState(_FilteredLive, rx.State):
    live_tables: ClassVar[frozenset[str]] = tables_of(Event)
    rows: list[EventRow] = []
    choices: list[str] = [ALL, *[name.value for name in EventName]]

    def _live_query(self) -> Callable[[], list[EventRow]]:
        return partial(read_events, self.selected)


class AuditState(_FilteredLive, rx.State):
    live_tables: ClassVar[frozenset[str]] = tables_of(AuditEntry)
    rows: list[AuditRow] = []
    choices: list[str] = [ALL]

    def _live_query(self) -> Callable[[], tuple[list[AuditRow], list[str]]]:
        return partial(read_audit, self.selected)

    def _live_apply(self, data: tuple[list[AuditRow], list[str]]) -> None:
        rows, actions = data
        choices = [ALL, *actions]
        if self.selected not in choices:
            choices.append(self.selected)
        if choices != self.choices:
            self.choices = choices
        super()._live_apply(rows)
