"""A row of a list of keys (API tokens, event sources): name, prefix, dates, and a Revoke
button behind a confirmation, or the date it was revoked."""

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
