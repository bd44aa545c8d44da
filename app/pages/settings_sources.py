"""The settings page's "Event sources" card: other systems' keys for POST /api/events.

Admins list, create (the key shown once) and revoke sources; everyone else sees the card
disabled with the backend's reason, and how a source calls the API.
"""

from __future__ import annotations

import reflex as rx

from components.code_text import code_text
from components.empty_state import empty_note
from components.error_banner import error_if
from components.forms import field
from components.key_rows import key_row, shown_once
from components.section import section
from components.tables import data_table
from state.event_sources import EventSourcesState

S = EventSourcesState


def _new_key() -> rx.Component:
    return shown_once(
        S.new_key,
        rx.text(
            "The key of ",
            rx.text.strong(S.new_key_source),
            ". Copy it now: it is not shown again (only a hash of it is kept).",
        ),
        what="key",
        code_id="new-source-key",
        copy_id="copy-source-key",
        callout_id="new-source-key-callout",
    )


def _create() -> rx.Component:
    refused = S.refused != ""
    return rx.form(
        rx.flex(
            rx.box(
                field(
                    "Source name (letters, digits, - and _)",
                    "source_name",
                    placeholder="shop",
                    max_length=28,
                    disabled=refused,
                ),
                flex="1",
                min_width="14em",
                margin_right="var(--space-3)",
            ),
            rx.button(
                rx.icon("plus"),
                "Create source",
                type="submit",
                loading=S.creating,
                disabled=S.creating | refused,
                title=S.refused,
                id="create-source",
            ),
            row_gap="3",
            align="end",
            wrap="wrap",
            width="100%",
        ),
        on_submit=S.create,
        reset_on_submit=True,
        width="100%",
    )


def _row(row: rx.Var) -> rx.Component:
    return key_row(
        row,
        kind="source",
        question="Revoke the key of " + row.name + "?",
        consequence=(
            "Its reports are refused from now on (401); this can't be undone. Create a new "
            "source to replace it."
        ),
        on_confirm=S.revoke(row.id),
        confirm_id="revoke-source-confirm",
        loading=S.revoking,
        button_class="revoke-source-button",
    )


def _list() -> rx.Component:
    return rx.cond(
        S.has_sources,
        data_table(
            ["Name", "Key starts with", "Created", "Last used", ""],
            S.rows,
            _row,
            size="2",
            id="sources-table",
        ),
        empty_note("No event sources yet.", id="sources-empty"),
    )


def event_sources_card() -> rx.Component:
    return section(
        "Event sources",
        rx.text(
            "Other systems (a shop, a payment provider) report events such as payment.failed "
            "with a key of their own; monitors can then tell people.",
            size="2",
            color_scheme="gray",
        ),
        rx.cond(S.refused != "", empty_note(S.refused, id="sources-refused")),
        error_if(S.load_error, id="sources-error"),
        error_if(S.create_error, id="create-source-error"),
        error_if(S.revoke_error, id="revoke-source-error"),
        _create(),
        _new_key(),
        rx.cond(S.refused == "", _list()),
        rx.text("How a source reports an event:", size="2"),
        code_text(S.curl, id="events-curl"),
        card=True,
        id="settings-event-sources",
    )
