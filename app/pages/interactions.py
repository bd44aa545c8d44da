"""Calls and messages: every call turn and text between a number and the product, live."""

from __future__ import annotations

import reflex as rx

from app import routes
from components.empty_state import empty_state
from components.error_banner import error_if
from components.layout import page
from components.live_rows import live_rows
from components.tables import data_table
from state.auth import AuthState
from state.interactions import InteractionsState

HEADERS = [
    "When",
    "Channel",
    "Direction",
    "Number",
    "Person",
    "Transcript",
    "Confidence",
    "Intent",
    "Outcome",
    "Reply",
    "Twilio SID",
]
EMPTY = "No calls or messages yet: the settings page shows the webhook URLs to paste into Twilio."


def _row(item: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(item.created, white_space="nowrap"),
        rx.table.cell(item.channel),
        rx.table.cell(item.direction),
        rx.table.cell(item.phone, white_space="nowrap"),
        rx.table.cell(item.person),
        rx.table.cell(item.transcript, min_width="12em", class_name="interaction-transcript"),
        rx.table.cell(item.confidence),
        rx.table.cell(rx.cond(item.intent != "", rx.code(item.intent), "")),
        rx.table.cell(item.outcome),
        rx.table.cell(item.reply, min_width="12em"),
        rx.table.cell(rx.text(item.sid, size="1", font_family="monospace")),
        class_name="interaction-row",
    )


def _body() -> rx.Component:
    state = InteractionsState
    return rx.vstack(
        error_if(state.live_error, id="interactions-error"),
        live_rows(
            state,
            data_table(HEADERS, state.rows, _row, id="interactions-table"),
            empty_state("No calls or messages", EMPTY, icon="phone", id="interactions-empty"),
        ),
        width="100%",
    )


def interactions() -> rx.Component:
    return page(
        "Calls and messages",
        _body(),
        subtitle="Every call turn and text message, newest first.",
    )


def register(app: rx.App) -> None:
    app.add_page(
        interactions,
        route=routes.INTERACTIONS,
        title="Calls and messages",
        on_load=[AuthState.require_login, InteractionsState.start_live],
    )
