"""The centred card that holds the login and sign-up forms."""

from __future__ import annotations

import reflex as rx


def auth_card(title: str, *children: rx.Component, **props) -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(
                rx.heading("Durable objects", size="3", color_scheme="gray"),
                rx.heading(title, size="6", id="page-title"),
                *children,
                spacing="4",
                width="100%",
            ),
            size="3",
            width="100%",
            max_width="26em",
            **props,
        ),
        min_height="100vh",
        padding="1em",
    )
