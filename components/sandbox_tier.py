"""Which sandbox tier object code runs in (the object page and settings both show it)."""

from __future__ import annotations

import reflex as rx


def sandbox_tier(tier: rx.Var[str], safe: rx.Var[bool], message: rx.Var[str]) -> rx.Component:
    """The tier as a badge, green when it isolates files, red when not, with its note."""
    return rx.hstack(
        rx.text("Sandbox tier:", size="2"),
        rx.badge(
            rx.cond(tier != "", tier, "checking..."),
            color_scheme=rx.cond(safe, "green", "red"),
            high_contrast=True,
            id="sandbox-tier",
        ),
        rx.text(message, size="2", color_scheme="gray"),
        align="center",
        spacing="2",
        wrap="wrap",
    )
