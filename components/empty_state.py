"""A friendly block for "nothing here yet"."""

from __future__ import annotations

import reflex as rx


def empty_state(title: str, message: str, *, icon: str = "inbox", **props) -> rx.Component:
    """A centred icon, title and one line of help."""
    return rx.center(
        rx.vstack(
            rx.icon(icon, size=40, color=rx.color("gray", 9)),
            rx.heading(title, size="4"),
            rx.text(message, color_scheme="gray", align="center"),
            align="center",
            spacing="2",
        ),
        padding="3em",
        border=f"1px dashed {rx.color('gray', 6)}",
        border_radius="var(--radius-3)",
        width="100%",
        **props,
    )
