"""A red callout for a failure the person should know about."""

from __future__ import annotations

import reflex as rx


def error_banner(message: rx.Var[str] | str, **props) -> rx.Component:
    return rx.callout(
        message,
        icon="triangle-alert",
        color_scheme="red",
        role="alert",
        width="100%",
        **props,
    )


def error_if(message: rx.Var[str], **props) -> rx.Component:
    """The banner while the state holds an error message; nothing while it is empty."""
    return rx.cond(message != "", error_banner(message, **props))
