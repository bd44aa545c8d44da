"""One monitor: its form, state and buttons, its history (firings with their notifications
and how each was delivered), and its check's code with a link to its object page."""

from __future__ import annotations

import reflex as rx

from app import routes
from components.code_text import code_text
from components.empty_state import empty_note, empty_state, loading
from components.error_banner import error_if
from components.layout import page
from components.monitor_parts import monitor_buttons
from components.section import section
from components.status_badge import status_badge
from components.tables import data_table
from state.auth import AuthState
from state.monitor_page import MonitorPageState

P = MonitorPageState
D = P.detail


def _item(label: str, value: rx.Component | rx.Var | str, **props) -> rx.Component:
    return rx.data_list.item(rx.data_list.label(label), rx.data_list.value(value, **props))


def _form() -> rx.Component:
    row = D.row
    return section(
        "What it watches",
        rx.data_list.root(
            _item("Watches", row.watches, id="monitor-watches"),
            _item("Asked as", row.description),
            _item("Event", rx.code(D.event)),
            _item(
                rx.cond(D.condition_kind == "metric", "When", "Filters"),  # type: ignore[arg-type]
                rx.cond(
                    D.conditions.length() > 0,
                    rx.hstack(rx.foreach(D.conditions, lambda c: rx.code(c)), wrap="wrap"),
                    "none: every one",
                ),
            ),
            _item("Channel", row.channel),
            _item("Owner", row.owner),
            _item(
                "State",
                rx.hstack(
                    status_badge(row.state, class_name="monitor-state", id="monitor-state"),
                    rx.cond(row.silenced_until != "", rx.text("until ", row.silenced_until)),
                    align="center",
                ),
            ),
            _item("Grouping", D.group_seconds.to_string() + " s: firings this close are one call"),
            size="2",
        ),
        monitor_buttons(P, row, on_delete=P.delete_here),
        card=True,
    )


def _delivery(n: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(n.channel),
        rx.table.cell(n.target),
        rx.table.cell(status_badge(n.status, class_name="delivery-status")),
        rx.table.cell(n.attempts),
        rx.table.cell(n.error),
        rx.table.cell(rx.text(n.provider_id, size="1", font_family="monospace")),
        rx.table.cell(n.created, white_space="nowrap"),
        class_name="delivery-row",
    )


def _firing(f: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                status_badge(f.kind),
                rx.text(f.created, weight="medium"),
                rx.text(
                    f.count.to_string() + rx.cond(f.count == 1, " event", " events"),
                    color_scheme="gray",
                ),
                rx.cond(
                    f.acknowledged != "",
                    rx.text("acknowledged by ", f.acknowledged_by, " at ", f.acknowledged),
                ),
                wrap="wrap",
                align="center",
            ),
            rx.cond(f.summary != "", rx.text(f.summary)),
            rx.cond(
                f.notifications.length() > 0,
                data_table(
                    ["Channel", "To", "Status", "Attempts", "Error", "Provider id", "Created"],
                    f.notifications,
                    _delivery,
                ),
                empty_note("Nobody was told (silenced, or nobody to tell)."),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="firing",
    )


def _history() -> rx.Component:
    return section(
        "History",
        rx.cond(
            D.firings.length() > 0,
            rx.vstack(rx.foreach(D.firings, _firing), spacing="3", width="100%"),
            empty_note("It hasn't fired yet.", id="monitor-history-empty"),
        ),
        id="monitor-history",
    )


def _check() -> rx.Component:
    return section(
        "Its check",
        rx.cond(
            D.check_slug != "",
            rx.vstack(
                rx.text(
                    "The check is the durable object ",
                    rx.link(rx.code(D.check_slug), href=D.check_url, id="monitor-check-link"),
                    " (version ",
                    D.current_version.to_string(),
                    rx.cond(
                        D.deployed_version > 0,
                        ", deployed " + D.deployed_version.to_string(),
                        ", not deployed",
                    ),
                    "). Change it like any object: ask for a change there.",
                ),
                code_text(D.code, id="monitor-code", aria_label="The check's main.py"),
                spacing="2",
                width="100%",
            ),
            empty_note("This monitor has no check object."),
        ),
        id="monitor-check",
    )


def _body() -> rx.Component:
    return rx.vstack(
        error_if(P.live_error, id="monitor-error"),
        error_if(P.action_error, id="monitor-action-error"),
        rx.cond(
            P.loaded,
            rx.cond(
                P.found,
                rx.vstack(_form(), _history(), _check(), spacing="5", width="100%"),
                empty_state(
                    "No such monitor",
                    "It doesn't exist or was deleted: the Monitors page lists every one.",
                    icon="bell-off",
                    id="monitor-missing",
                ),
            ),
            loading(),
        ),
        width="100%",
    )


def monitor_page() -> rx.Component:
    return page(
        "Monitor " + P.shown_id.to_string(),  # type: ignore[arg-type]
        _body(),
        actions=[rx.link("All monitors", href=routes.MONITORS)],
    )


def register(app: rx.App) -> None:
    app.add_page(
        monitor_page,
        route=routes.MONITOR,
        title="Monitor · Durable objects",
        on_load=[AuthState.require_login, P.reset_page, P.start_live],
    )
