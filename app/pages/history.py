"""Tasks, events and the audit log: filterable tables, newest first, live."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import reflex as rx

from app import routes
from components.empty_state import empty_state
from components.error_banner import error_if
from components.layout import page
from components.live_rows import live_rows
from components.tables import audit_table, events_table, tasks_table
from state.auth import AuthState
from state.history import AuditState, EventsState, TasksState


@dataclasses.dataclass(frozen=True)
class _Log:
    """One of the three pages; `key` names its route's element ids (`tasks-table`, ...)."""

    key: str
    route: str
    title: str
    subtitle: str
    state: type[rx.State]
    table: Callable[..., rx.Component]
    filter_label: str
    empty_title: str
    empty_text: str


LOGS = [
    _Log(
        "tasks",
        routes.TASKS,
        "Tasks",
        "Background jobs, newest first.",
        TasksState,
        tasks_table,
        "Status",
        "No tasks",
        "Background work is listed here: evaluations of saved versions, deployments started "
        "from an object's page, requested changes and creations.",
    ),
    _Log(
        "events",
        routes.EVENTS,
        "Events",
        "What happened, newest first.",
        EventsState,
        events_table,
        "Event",
        "No events",
        "Sign-ups, deployments and failures are recorded here as they happen.",
    ),
    _Log(
        "audit",
        routes.AUDIT,
        "Audit log",
        "Who did what, through which channel, newest first.",
        AuditState,
        audit_table,
        "Action",
        "Nothing recorded",
        "Every change (who, through which channel, when) is recorded here.",
    ),
]


def _filter(log: _Log) -> rx.Component:
    state = log.state
    return rx.hstack(
        rx.text(log.filter_label, size="2", color_scheme="gray"),
        rx.select(
            state.choices,
            value=state.selected,
            on_change=state.set_filter,
            id=f"{log.key}-filter",
            # rx.select hands only some props to its trigger (the button people focus).
            custom_attrs={"aria-label": log.filter_label},
        ),
        align="center",
        spacing="2",
    )


def _body(log: _Log) -> rx.Component:
    state = log.state
    return rx.vstack(
        error_if(state.live_error, id=f"{log.key}-error"),
        live_rows(
            state,
            log.table(state.rows, id=f"{log.key}-table"),
            empty_state(log.empty_title, log.empty_text, id=f"{log.key}-empty"),
        ),
        width="100%",
    )


def _log_page(log: _Log) -> Callable[[], rx.Component]:
    def log_page() -> rx.Component:
        return page(log.title, _body(log), actions=[_filter(log)], subtitle=log.subtitle)

    log_page.__name__ = log.key  # what Reflex calls the page in its compile errors
    return log_page


def register(app: rx.App) -> None:
    for log in LOGS:
        app.add_page(
            _log_page(log),
            route=log.route,
            title=log.title,
            on_load=[AuthState.require_login, log.state.start_live],
        )
