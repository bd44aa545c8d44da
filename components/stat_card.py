"""A small card with one number and its label."""

from __future__ import annotations

import reflex as rx


def stat_card(label: str, value: rx.Var | int | str, *, icon: str, id: str) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.icon(icon, size=22, color=rx.color("accent", 10)),
            rx.vstack(
                rx.text(label, size="2", color_scheme="gray"),
                rx.heading(value, size="6", class_name="stat-value"),
                spacing="1",
            ),
            align="center",
            spacing="3",
        ),
        id=id,
        min_width="10em",
        flex="1",
    )
