"""Dashboard: counts, the busiest and the failing objects, open tasks with live progress,
recent events."""

from __future__ import annotations

from typing import Any

import reflex as rx

from app import routes
from components.empty_state import empty_state, loading
from components.error_banner import error_if
from components.layout import page
from components.section import section
from components.stat_card import stat_card
from components.tables import events_table, task_progress, task_status_badge
from state.auth import AuthState
from state.dashboard import DashboardState


def _counts() -> rx.Component:
    c = DashboardState.counts
    return rx.flex(
        stat_card("Objects", c["objects"], icon="boxes", id="count-objects"),
        stat_card("Deployed", c["objects_deployed"], icon="rocket", id="count-deployed"),
        stat_card("Drafts", c["objects_draft"], icon="file-pen", id="count-draft"),
        stat_card("Failed", c["objects_failed"], icon="circle-x", id="count-failed"),
        stat_card(
            "Awaiting approval", c["awaiting_approval"], icon="hourglass", id="count-awaiting"
        ),
        stat_card("Tasks running", c["tasks_running"], icon="loader", id="count-running"),
        wrap="wrap",
        gap="3",
        width="100%",
        id="dashboard-counts",
    )


def _task_card(task: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.code(task.kind),
                task_status_badge(task.status),
                rx.spacer(),
                rx.text("#", task.id.to_string(), size="1", color_scheme="gray"),
                width="100%",
                align="center",
            ),
            task_progress(task),
            rx.text(task.message, size="2", color_scheme="gray"),
            spacing="2",
            width="100%",
        ),
        id="running-task-" + task.id.to_string(),
        class_name="running-task",
        width="100%",
    )


def _tasks() -> rx.Component:
    return section(
        "Running tasks",
        rx.cond(
            DashboardState.tasks.length() > 0,
            rx.vstack(rx.foreach(DashboardState.tasks, _task_card), width="100%", spacing="2"),
            empty_state(
                "Nothing running",
                "Background work shows its progress here: evaluations of saved versions, "
                "deployments started from an object's page, requested changes and creations.",
                icon="circle-check",
                id="tasks-empty",
            ),
        ),
        id="dashboard-tasks",
    )


def _events() -> rx.Component:
    return section(
        "Recent events",
        rx.cond(
            DashboardState.events.length() > 0,
            events_table(DashboardState.events, id="events-table"),
            empty_state(
                "No events yet",
                "Sign-ups, deployments and failures are recorded here as they happen.",
                icon="radio",
                id="events-empty",
            ),
        ),
        aside=rx.link("All events", href=routes.EVENTS, size="2"),
        id="dashboard-events",
    )


def _object_chart(title: str, rows: rx.Var, key: str, colour: str, chart_id: str):
    return rx.box(
        rx.recharts.bar_chart(
            rx.recharts.bar(data_key=key, name=key, fill=colour),
            rx.recharts.x_axis(data_key="slug"),
            rx.recharts.y_axis(allow_decimals=False, width=50),
            rx.recharts.graphing_tooltip(),
            # The rows are plain objects in the browser: what Recharts reads.
            data=rows.to(list[dict[str, Any]]),
            height=160,
            width="100%",
        ),
        role="img",
        aria_label=title,
        width="100%",
        id=chart_id,
    )


def _object_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.link(row.name, href=routes.OBJECTS + "/" + row.slug)),
        rx.table.cell(row.calls),
        rx.table.cell(row.errors),
        rx.table.cell(row.error_rate),
        rx.table.cell(row.p95),
        rx.table.cell(rx.text(row.last_error, size="1", trim="both")),
        class_name="health-row",
    )


def _object_table(rows: rx.Var, table_id: str) -> rx.Component:
    columns = ["Object", "Calls", "Errors", "Rate", "p95", "Last error"]
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(c) for c in columns])),
        rx.table.body(rx.foreach(rows, _object_row)),
        width="100%",
        size="1",
        id=table_id,
    )


def _objects_section(
    title: str, rows: rx.Var, key: str, color: str, name: str, empty: rx.Component
) -> rx.Component:
    """A chart and a table of objects (`name`: "busiest" or "failing"), or `empty`."""
    return section(
        f"{name.capitalize()} objects (last hour)",
        rx.cond(
            rows.length() > 0,
            rx.vstack(
                _object_chart(title, rows, key, color, f"{name}-chart"),
                _object_table(rows, f"{name}-table"),
                width="100%",
            ),
            empty,
        ),
        id=f"dashboard-{name}",
        flex="1",
        min_width="20em",
    )


def _health() -> rx.Component:
    d = DashboardState
    return rx.flex(
        _objects_section(
            "Calls per object",
            d.busiest,
            "calls",
            "#0090ff",
            "busiest",
            empty_state(
                "No calls yet",
                "Deployed objects' calls are counted here: try an object's HTTP API tab.",
                icon="activity",
                id="busiest-empty",
            ),
        ),
        _objects_section(
            "Errors per object",
            d.failing,
            "errors",
            "#e5484d",
            "failing",
            empty_state(
                "Nothing failing",
                "Objects whose calls fail (errors, timeouts, memory) show here.",
                icon="circle-check",
                id="failing-empty",
            ),
        ),
        gap="5",
        wrap="wrap",
        width="100%",
    )


def dashboard() -> rx.Component:
    return page(
        "Dashboard",
        error_if(DashboardState.live_error),
        rx.cond(
            DashboardState.loaded,
            rx.vstack(_counts(), _health(), _tasks(), _events(), spacing="6", width="100%"),
            loading(),
        ),
        actions=[rx.link(rx.button(rx.icon("boxes", size=16), "Objects"), href=routes.OBJECTS)],
        subtitle="What the system is doing now.",
    )


def register(app: rx.App) -> None:
    app.add_page(
        dashboard,
        route=routes.DASHBOARD,
        title="Dashboard",
        on_load=[AuthState.require_login, DashboardState.start_live],
    )
