"""Tables: the one shape every page uses, the tables of tasks, events and audit entries (rows
from backend/read_models), and task progress."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from components.status_badge import status_badge


def task_status_badge(status: rx.Var[str]) -> rx.Component:
    return status_badge(status, class_name="task-status")


def data_table(
    headers: list[str],
    rows: rx.Var[list],
    row: Callable[[rx.Var], rx.Component],
    *,
    size: str = "1",
    variant: str = "surface",
    **props,
) -> rx.Component:
    """A table of `rows` (one `row(item)` each) under `headers` (none: no header row),
    scrolling sideways on a narrow screen; `props` go to the scrolling box (e.g. its id)."""
    header = (
        [rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers]))]
        if headers
        else []
    )
    return rx.box(
        rx.table.root(
            *header,
            rx.table.body(rx.foreach(rows, row)),
            variant=variant,
            width="100%",
            size=size,
        ),
        overflow_x="auto",
        width="100%",
        # Focusable, so a table wider than the screen scrolls by keyboard too; the table's own
        # scroll area is turned off in assets/product.css.
        tab_index=0,
        **props,
    )


def task_progress(task: rx.Var) -> rx.Component:
    """A task's progress bar with its percentage (value in `data-progress` for tests)."""
    return rx.hstack(
        rx.progress(
            value=task.progress, max=100, width="100%", min_width="6em", aria_label="Progress"
        ),
        rx.text(task.progress.to_string() + "%", size="1", min_width="3em"),
        align="center",
        width="100%",
        class_name="task-progress",
        data_progress=task.progress,
    )


def _task_row(task: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(task.id),
        rx.table.cell(rx.code(task.kind)),
        rx.table.cell(task_status_badge(task.status)),
        rx.table.cell(task_progress(task), min_width="10em"),
        rx.table.cell(task.message),
        rx.table.cell(task.created, white_space="nowrap"),
        rx.table.cell(task.finished, white_space="nowrap"),
        id="task-" + task.id.to_string(),
        class_name="task-row",
    )


def tasks_table(rows: rx.Var[list], **props) -> rx.Component:
    headers = ["#", "Kind", "Status", "Progress", "Message", "Created", "Finished"]
    return data_table(headers, rows, _task_row, **props)


def _event_row(event: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(event.created, white_space="nowrap"),
        rx.table.cell(rx.code(event.name), class_name="event-name"),
        rx.table.cell(event.source),
        rx.table.cell(rx.text(event.payload, size="1", font_family="monospace")),
        class_name="event-row",
    )


def events_table(rows: rx.Var[list], **props) -> rx.Component:
    return data_table(["When", "Event", "Source", "Payload"], rows, _event_row, **props)


def _audit_row(entry: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(entry.created, white_space="nowrap"),
        rx.table.cell(entry.actor),
        rx.table.cell(entry.channel),
        rx.table.cell(rx.code(entry.action), class_name="audit-action"),
        rx.table.cell(rx.text(entry.detail, size="1", font_family="monospace")),
        class_name="audit-row",
    )


def audit_table(rows: rx.Var[list], **props) -> rx.Component:
    return data_table(["When", "Who", "Channel", "Action", "Detail"], rows, _audit_row, **props)
