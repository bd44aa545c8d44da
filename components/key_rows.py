"""Keys (API tokens, event sources): a new one shown once, and a row of the list: name,
prefix, dates, and a Revoke button behind a confirmation, or the date it was revoked."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.confirm_dialog import confirm_dialog


def key_row(
    row: rx.Var,
    *,
    kind: str,
    question: Any,
    consequence: str,
    on_confirm: Any,
    confirm_id: str,
    loading: Any,
    button_class: str,
) -> rx.Component:
    """The row of one key; `kind` names its classes and ids ("token", "source")."""
    revoke = confirm_dialog(
        question,
        consequence,
        confirm="Revoke",
        on_confirm=on_confirm,
        confirm_id=confirm_id,
        color_scheme="red",
        trigger=rx.button(
            "Revoke",
            size="1",
            variant="soft",
            color_scheme="red",
            loading=loading,
            class_name=button_class,
        ),
    )
    return rx.table.row(
        rx.table.row_header_cell(row.name, class_name=f"{kind}-name"),
        rx.table.cell(rx.code(row.prefix, "…")),
        rx.table.cell(row.created, white_space="nowrap"),
        rx.table.cell(rx.cond(row.last_used != "", row.last_used, "never"), white_space="nowrap"),
        rx.table.cell(
            rx.cond(
                row.revoked != "",
                rx.badge(
                    "revoked " + row.revoked, color_scheme="gray", class_name=f"{kind}-revoked"
                ),
                revoke,
            )
        ),
        id=f"{kind}-row-" + row.id.to_string(),
        class_name=f"{kind}-row",
    )


def shown_once(
    secret: rx.Var,
    heading: rx.Component,
    *after: rx.Component,
    what: str,
    code_id: str,
    copy_id: str,
    callout_id: str,
) -> rx.Component:
    """A new key's text, shown once with a copy button (only its hash is kept); nothing
    while `secret` is empty. `what` names it for the copy button ("token", "key")."""
    return rx.cond(
        secret != "",
        rx.callout(
            rx.vstack(
                heading,
                rx.hstack(
                    rx.code(secret, id=code_id, word_break="break-all"),
                    rx.icon_button(
                        rx.icon("copy", size=16),
                        size="1",
                        variant="soft",
                        on_click=rx.set_clipboard(secret),
                        aria_label=f"Copy the {what}",
                        id=copy_id,
                    ),
                    align="center",
                    spacing="2",
                ),
                *after,
                spacing="2",
            ),
            icon="key-round",
            color_scheme="green",
            high_contrast=True,
            width="100%",
            id=callout_id,
        ),
    )
