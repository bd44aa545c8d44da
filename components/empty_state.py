"""What a page shows where its content isn't (yet): a friendly block for "nothing here yet",
a one-line note for a panel with nothing to show, and a spinner while loading."""

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


def empty_note(*children: rx.Component | rx.Var | str, **props) -> rx.Component:
    """One muted line: what is missing from a panel, and how to get it."""
    return rx.text(*children, size="2", color_scheme="gray", **props)


def loading(*, padding: str = "2em", **props) -> rx.Component:
    """A centred spinner for content that is still being read."""
    return rx.center(rx.spinner(size="3"), padding=padding, width="100%", **props)
