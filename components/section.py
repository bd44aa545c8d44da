"""A titled part of a page: heading (with an optional link or control on the right), then
its content; on a card where it should stand apart from its neighbours."""

from __future__ import annotations

import reflex as rx


def section(
    title: str,
    *children: rx.Component,
    aside: rx.Component | None = None,
    card: bool = False,
    **props,
) -> rx.Component:
    heading = rx.heading(title, size="4")
    if aside is not None:
        heading = rx.hstack(heading, rx.spacer(), aside, width="100%", align="center")
    if card:
        return rx.card(
            rx.vstack(heading, *children, spacing="3", width="100%"), width="100%", **props
        )
    return rx.vstack(heading, *children, spacing="3", width="100%", **props)
