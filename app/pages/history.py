"""Tasks, events and the audit log: filterable tables, newest first, live."""

from __future__ import annotations

import reflex as rx

from app import routes
from components.empty_state import empty_state
from components.error_banner import error_banner
from components.layout import page
from components.tables import audit_table, events_table, tasks_table
from state.auth import AuthState
from state.history import AuditState, EventsState, TasksState


def _filter(state, label: str, id: str) -> rx.Component:
    return rx.hstack(
        rx.text(label, size="2", color_scheme="gray"),
        rx.select(state.choices, value=state.selected, on_change=state.set_filter, id=id),
        align="center",
        spacing="2",
    )


def _body(state, table, empty_title: str, empty_text: str, prefix: str) -> rx.Component:
    return rx.vstack(
        rx.cond(state.live_error != "", error_banner(state.live_error, id=f"{prefix}-error")),
        rx.cond(
            state.loaded,
            rx.cond(
                state.rows.length() > 0,
                table(state.rows, id=f"{prefix}-table"),
                empty_state(empty_title, empty_text, id=f"{prefix}-empty"),
            ),
            rx.center(rx.spinner(size="3"), padding="2em", width="100%"),
        ),
        width="100%",
    )


def tasks() -> rx.Component:
    return page(
        "Tasks",
        _body(
            TasksState,
            tasks_table,
            "No tasks",
            "Background work (evaluations, deployments, creations) is listed here.",
            "tasks",
        ),
        actions=[_filter(TasksState, "Status", "tasks-filter")],
        subtitle="Background jobs, newest first.",
    )


def events() -> rx.Component:
    return page(
        "Events",
        _body(
            EventsState,
            events_table,
            "No events",
            "Sign-ups, deployments and failures are recorded here as they happen.",
            "events",
        ),
        actions=[_filter(EventsState, "Event", "events-filter")],
        subtitle="What happened, newest first.",
    )


def audit() -> rx.Component:
    return page(
        "Audit log",
        _body(
            AuditState,
            audit_table,
            "Nothing recorded",
            "Every change (who, through which channel, when) is recorded here.",
            "audit",
        ),
        actions=[_filter(AuditState, "Action", "audit-filter")],
        subtitle="Who did what, through which channel, newest first.",
    )


def register(app: rx.App) -> None:
    for component, route, title, state in (
        (tasks, routes.TASKS, "Tasks", TasksState),
        (events, routes.EVENTS, "Events", EventsState),
        (audit, routes.AUDIT, "Audit log", AuditState),
    ):
        app.add_page(
            component, route=route, title=title, on_load=[AuthState.require_login, state.start_live]
        )
