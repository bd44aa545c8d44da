"""API tokens: a person creates one (named; its text shown once), lists and revokes their own."""

from __future__ import annotations

import reflex as rx

from app import routes
from components.empty_state import empty_note, loading
from components.error_banner import error_if
from components.forms import field
from components.key_rows import key_row, shown_once
from components.layout import page
from components.section import section
from components.tables import data_table
from state.auth import AuthState
from state.tokens import TokensState

T = TokensState


def _new_token() -> rx.Component:
    return shown_once(
        T.new_token,
        rx.text(
            "Your new token ",
            rx.text.strong(T.new_token_name),
            ". Copy it now: it is shown only this once (only a hash of it is kept).",
        ),
        rx.text(
            "Send it as ",
            rx.code("Authorization: Bearer <token>"),
            " when calling a private object, or keep it in DOB_TOKEN for the curl "
            "examples on an object's HTTP API tab.",
            size="2",
        ),
        what="token",
        code_id="new-token",
        copy_id="copy-token",
        callout_id="new-token-callout",
    )


def _create() -> rx.Component:
    return section(
        "New token",
        rx.form(
            rx.flex(
                rx.box(
                    field(
                        "Name (what will use it)",
                        "token_name",
                        placeholder="weather dashboard",
                        max_length=100,
                    ),
                    flex="1",
                    min_width="14em",
                    margin_right="var(--space-3)",
                ),
                rx.button(
                    rx.icon("plus"),
                    "Create token",
                    type="submit",
                    loading=T.creating,
                    disabled=T.creating,
                    id="create-token",
                ),
                row_gap="3",
                align="end",
                wrap="wrap",
                width="100%",
            ),
            on_submit=T.create,
            reset_on_submit=True,
            width="100%",
        ),
        error_if(T.create_error, id="create-token-error"),
        _new_token(),
        card=True,
        id="tokens-create",
    )


def _row(row: rx.Var) -> rx.Component:
    return key_row(
        row,
        kind="token",
        question="Revoke the token " + row.name + "?",
        consequence=(
            "Whatever uses it is refused from now on; this can't be undone. Create a new token "
            "to replace it."
        ),
        on_confirm=T.revoke(row.id),
        confirm_id="revoke-confirm",
        loading=T.revoking,
        button_class="revoke-button",
    )


def _list() -> rx.Component:
    return section(
        "Your tokens",
        error_if(T.load_error, id="tokens-error"),
        error_if(T.revoke_error, id="revoke-error"),
        rx.cond(
            T.has_tokens,
            data_table(
                ["Name", "Starts with", "Created", "Last used", ""],
                T.rows,
                _row,
                size="2",
                id="tokens-table",
            ),
            empty_note("No tokens yet: create one above.", id="tokens-empty"),
        ),
        card=True,
        id="tokens-list",
    )


def tokens_page() -> rx.Component:
    return page(
        "API tokens",
        rx.cond(
            T.loaded,
            rx.vstack(_create(), _list(), spacing="4", width="100%"),
            loading(id="tokens-loading"),
        ),
        subtitle="Bearer tokens for calling private objects and the manage API as yourself.",
    )


def register(app: rx.App) -> None:
    app.add_page(
        tokens_page,
        route=routes.TOKENS,
        title="API tokens · Durable objects",
        on_load=[AuthState.require_login, TokensState.load],
    )
