"""An amber callout for something a person should know before they start (a feature that
is off, and how to turn it on)."""

from __future__ import annotations

import reflex as rx


def notice_if(message: rx.Var[str], **props) -> rx.Component:
    """The notice while the state holds a message; nothing while it is empty."""
    return rx.cond(
        message != "",
        rx.callout(
            message,
            icon="info",
            color_scheme="amber",
            high_contrast=True,  # amber text on amber fails WCAG AA contrast without it
            width="100%",
            **props,
        ),
    )
