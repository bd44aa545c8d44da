"""Monitors: every monitor with its state, last firing and notification, live; a new one
from a sentence (previewed, then saved) or from a form; pause, resume, silence, delete."""

from __future__ import annotations

import reflex as rx

from app import routes
from components.empty_state import empty_state
from components.error_banner import error_if
from components.forms import labelled
from components.layout import page
from components.live_rows import live_rows
from components.monitor_parts import monitor_buttons
from components.section import section
from components.status_badge import status_badge
from components.tables import data_table
from state.auth import AuthState
from state.monitors import MonitorsState

S = MonitorsState
HEADERS = ["#", "Watches", "Owner", "Channel", "State", "Last firing", "Last notification", ""]
EXAMPLE = "call me when a new user signs up"


def _preview() -> rx.Component:
    return rx.cond(
        S.preview_confirmation != "",
        rx.callout(
            rx.vstack(
                rx.text(rx.text.strong(S.preview_confirmation), id="preview-confirmation"),
                rx.data_list.root(
                    rx.data_list.item(
                        rx.data_list.label("Watches"),
                        rx.data_list.value(
                            rx.cond(S.preview_kind == "metric", "a metric, on ", "the event "),
                            rx.code(S.preview_event),
                        ),
                    ),
                    rx.data_list.item(
                        rx.data_list.label(rx.cond(S.preview_kind == "metric", "When", "Filters")),
                        rx.data_list.value(
                            rx.cond(
                                S.preview_conditions.length() > 0,
                                rx.hstack(
                                    rx.foreach(S.preview_conditions, lambda c: rx.code(c)),
                                    wrap="wrap",
                                ),
                                "none: every one",
                            )
                        ),
                    ),
                    rx.data_list.item(
                        rx.data_list.label("Channel"),
                        rx.data_list.value(S.preview_channel, id="preview-channel"),
                    ),
                    size="2",
                ),
                rx.button(
                    rx.icon("check"),
                    "Save",
                    on_click=S.save_preview,
                    loading=S.saving,
                    disabled=S.saving,
                    id="monitor-save",
                ),
                spacing="3",
            ),
            icon="eye",
            color_scheme="blue",
            high_contrast=True,
            width="100%",
            id="monitor-preview",
        ),
    )


def _from_sentence() -> rx.Component:
    return section(
        "New monitor from a sentence",
        rx.form(
            rx.flex(
                rx.box(
                    labelled(
                        "What should be watched, and how should you be told?",
                        rx.input(
                            name="sentence",
                            id="monitor-sentence",
                            placeholder=EXAMPLE,
                            on_change=S.set_sentence,
                            max_length=500,
                            width="100%",
                        ),
                    ),
                    flex="1",
                    min_width="16em",
                    margin_right="var(--space-3)",
                ),
                rx.button(
                    rx.icon("eye"),
                    "Preview",
                    type="submit",
                    variant="soft",
                    loading=S.previewing,
                    disabled=S.previewing,
                    id="monitor-preview-button",
                ),
                row_gap="3",
                align="end",
                wrap="wrap",
                width="100%",
            ),
            on_submit=S.preview,
            reset_on_submit=False,
            width="100%",
        ),
        error_if(S.preview_error, id="monitor-preview-error"),
        _preview(),
        card=True,
        id="monitor-from-sentence",
    )


def _select(label: str, name: str, items, default: str, **props) -> rx.Component:
    return labelled(
        label,
        rx.select(
            items,
            name=name,
            default_value=default,
            id=f"monitor-{name}",
            custom_attrs={"aria-label": label},
            **props,
        ),
    )


def _input(label: str, name: str, **props) -> rx.Component:
    return labelled(label, rx.input(name=name, id=f"monitor-{name}", width="100%", **props))


def _filter_row(number: rx.Var) -> rx.Component:
    suffix = number.to_string()
    return rx.hstack(
        rx.input(
            name="filter_field_" + suffix,
            placeholder="field, e.g. is_admin",
            aria_label="Filter field",
            flex="1",
        ),
        rx.select(
            S.filter_ops,
            name="filter_op_" + suffix,
            default_value="==",
            custom_attrs={"aria-label": "Filter operator"},
        ),
        rx.input(
            name="filter_value_" + suffix,
            placeholder="value, e.g. true",
            aria_label="Filter value",
            flex="1",
        ),
        rx.icon_button(
            rx.icon("x", size=16),
            type="button",
            variant="soft",
            color_scheme="gray",
            on_click=S.remove_filter(number),
            aria_label="Remove this filter",
        ),
        width="100%",
        align="center",
        class_name="monitor-filter-row",
    )


def _event_fields() -> rx.Component:
    return rx.vstack(
        _select("Event", "event", S.event_choices, "user.created"),
        rx.text("Filters on the event's data (optional)", size="2", weight="medium"),
        rx.foreach(S.filter_rows, _filter_row),
        rx.button(
            rx.icon("plus", size=16),
            "Add a filter",
            type="button",
            size="1",
            variant="soft",
            on_click=S.add_filter,
            id="monitor-add-filter",
        ),
        spacing="2",
        width="100%",
    )


def _metric_fields() -> rx.Component:
    return rx.grid(
        _select("Metric", "metric", S.metric_choices, "users.count"),
        _select("Comparison", "op", S.metric_ops, ">"),
        _input("Value", "value", type="number", placeholder="1000"),
        _input("Window in minutes (optional)", "window", type="number", min=1, placeholder="60"),
        _input(
            "Object, for object.* metrics (optional: any)", "object", placeholder="weather-widget"
        ),
        columns=rx.breakpoints(initial="1", sm="2", md="5"),
        spacing="3",
        width="100%",
    )


def _from_form() -> rx.Component:
    return section(
        "New monitor from a form",
        rx.form(
            rx.vstack(
                rx.grid(
                    labelled(
                        "Watch",
                        rx.select(
                            ["event", "metric"],
                            value=S.form_kind,
                            on_change=S.set_form_kind,
                            id="monitor-kind",
                            custom_attrs={"aria-label": "Watch"},
                        ),
                    ),
                    _select("Channel", "channel", S.channel_choices, "preferred"),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="3",
                    width="100%",
                ),
                rx.cond(S.form_kind == "metric", _metric_fields(), _event_fields()),
                rx.button(
                    rx.icon("plus"),
                    "Create monitor",
                    type="submit",
                    loading=S.creating,
                    disabled=S.creating,
                    id="monitor-create",
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=S.create,
            reset_on_submit=False,
            width="100%",
        ),
        error_if(S.create_error, id="monitor-create-error"),
        card=True,
        id="monitor-from-form",
    )


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.id),
        rx.table.row_header_cell(
            rx.link(row.watches, href=routes.MONITORS + "/" + row.id.to_string()),
            min_width="14em",
            class_name="monitor-watches",
        ),
        rx.table.cell(row.owner),
        rx.table.cell(row.channel),
        rx.table.cell(
            rx.vstack(
                status_badge(row.state, class_name="monitor-state"),
                rx.cond(
                    row.silenced_until != "",
                    rx.text("until ", row.silenced_until, size="1", white_space="nowrap"),
                ),
                spacing="1",
            )
        ),
        rx.table.cell(
            rx.cond(
                row.last_fired != "",
                rx.text(
                    row.last_fired,
                    " (",
                    row.last_fired_count.to_string(),
                    rx.cond(row.last_fired_count == 1, " event)", " events)"),
                ),
                "never",
            ),
            white_space="nowrap",
        ),
        rx.table.cell(
            rx.cond(
                row.last_notified != "",
                rx.hstack(
                    rx.text(row.last_notified_channel),
                    status_badge(row.last_notified_status),
                    rx.text(row.last_notified, size="1"),
                    wrap="wrap",
                    align="center",
                ),
                "none",
            ),
        ),
        rx.table.cell(monitor_buttons(S, row)),
        id="monitor-row-" + row.id.to_string(),
        class_name="monitor-row",
    )


def _list() -> rx.Component:
    return section(
        "Monitors",
        error_if(S.live_error, id="monitors-error"),
        error_if(S.action_error, id="monitor-action-error"),
        live_rows(
            S,
            data_table(HEADERS, S.rows, _row, size="2", id="monitors-table"),
            empty_state(
                "No monitors yet",
                f"No monitors yet. Try: {EXAMPLE}",
                icon="bell",
                id="monitors-empty",
            ),
        ),
        id="monitors-list",
    )


def _failed_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.id),
        rx.table.cell(rx.code(row.name)),
        rx.table.cell(row.source),
        rx.table.cell(row.created, white_space="nowrap"),
        rx.table.cell(
            rx.vstack(
                status_badge("failed", class_name="event-status"),
                rx.text(row.tries.to_string(), " tries, ", row.failed_at, size="1"),
                spacing="1",
            ),
            white_space="nowrap",
        ),
        rx.table.cell(rx.text(row.error, size="1", class_name="event-error"), max_width="32em"),
        id="failed-event-" + row.id.to_string(),
        class_name="failed-event-row",
    )


def _failed_events() -> rx.Component:
    """Shown only when there are some: events no monitor heard of, and why."""
    return rx.cond(
        S.failed_events.length() > 0,
        section(
            "Events that could not be dispatched",
            rx.text(
                "The monitors watching these events were not told of them: each was tried "
                "a few times, then given up on so the events after it went on.",
                size="2",
                color_scheme="gray",
            ),
            data_table(
                ["#", "Event", "Source", "Happened", "Status", "Error"],
                S.failed_events,
                _failed_row,
                size="1",
                id="failed-events-table",
            ),
            id="failed-events",
        ),
    )


def monitors_page() -> rx.Component:
    return page(
        "Monitors",
        _list(),
        _failed_events(),
        _from_sentence(),
        _from_form(),
        subtitle="What people asked to be told about, and how it went.",
    )


def register(app: rx.App) -> None:
    app.add_page(
        monitors_page,
        route=routes.MONITORS,
        title="Monitors · Durable objects",
        on_load=[AuthState.require_login, S.reset_page, S.start_live],
    )
