"""Notifications: every message the product sent people (or tried to), newest first, live,
filtered by status and channel."""

from __future__ import annotations

import reflex as rx

from app import routes
from components.empty_state import empty_state
from components.error_banner import error_if
from components.layout import page
from components.live_rows import live_rows
from components.status_badge import status_badge
from components.tables import data_table
from state.auth import AuthState
from state.notifications import NotificationsState

N = NotificationsState
HEADERS = [
    "Created",
    "Sent",
    "Channel",
    "To",
    "Person",
    "Purpose",
    "Status",
    "Attempts",
    "Last error",
    "Provider id",
    "Monitor",
]
EMPTY = (
    "Calls, texts, emails and posts the product sends (a monitor firing, a verification code, "
    "a result) are listed here with how their delivery went."
)


def _monitor(row: rx.Var) -> rx.Component:
    return rx.cond(
        row.monitor_id > 0,
        rx.cond(
            row.monitor_deleted,
            rx.text("#", row.monitor_id.to_string(), " (deleted)"),
            rx.link(
                "#" + row.monitor_id.to_string() + " " + row.monitor,
                href=routes.MONITORS + "/" + row.monitor_id.to_string(),
            ),
        ),
        "",
    )


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.created, white_space="nowrap"),
        rx.table.cell(row.sent, white_space="nowrap"),
        rx.table.cell(row.channel),
        rx.table.cell(row.target, white_space="nowrap"),
        rx.table.cell(row.person),
        rx.table.cell(row.purpose),
        rx.table.cell(status_badge(row.status, class_name="notification-status")),
        rx.table.cell(row.attempts),
        rx.table.cell(row.error, min_width="10em"),
        rx.table.cell(rx.text(row.provider_id, size="1", font_family="monospace")),
        rx.table.cell(_monitor(row), min_width="10em"),
        id="notification-row-" + row.id.to_string(),
        class_name="notification-row",
    )


def _filter(label: str, choices: rx.Var, value: rx.Var, on_change, id: str) -> rx.Component:
    return rx.hstack(
        rx.text(label, size="2", color_scheme="gray"),
        rx.select(
            choices,
            value=value,
            on_change=on_change,
            id=id,
            # rx.select hands only some props to its trigger (the button people focus).
            custom_attrs={"aria-label": label},
        ),
        align="center",
        spacing="2",
    )


def _body() -> rx.Component:
    return rx.vstack(
        error_if(N.live_error, id="notifications-error"),
        live_rows(
            N,
            data_table(HEADERS, N.rows, _row, id="notifications-table"),
            empty_state("No notifications", EMPTY, icon="send", id="notifications-empty"),
        ),
        width="100%",
    )


def notifications_page() -> rx.Component:
    return page(
        "Notifications",
        _body(),
        actions=[
            _filter(
                "Status",
                N.status_choices,
                N.status,
                N.set_status_filter,
                "notifications-status-filter",
            ),
            _filter(
                "Channel",
                N.channel_choices,
                N.channel,
                N.set_channel_filter,
                "notifications-channel-filter",
            ),
        ],
        subtitle="Every message sent to people and how its delivery went, newest first.",
    )


def register(app: rx.App) -> None:
    app.add_page(
        notifications_page,
        route=routes.NOTIFICATIONS,
        title="Notifications · Durable objects",
        on_load=[AuthState.require_login, N.start_live],
    )
