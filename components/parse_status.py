"""How a page says a version's code doesn't parse: a red badge with the parse error, in
place of what a parsing version shows (its API, its version number alone)."""

from __future__ import annotations

import reflex as rx


def _badge(**props) -> rx.Component:
    return rx.badge("does not parse", color_scheme="red", variant="soft", **props)


def does_not_parse_badge(syntax_error: rx.Var[str], **props) -> rx.Component:
    """Only the badge (the error as its tooltip), where a table has no room for it."""
    return rx.cond(
        syntax_error != "",
        _badge(title=syntax_error, class_name="does-not-parse", **props),
    )


def does_not_parse(syntax_error: rx.Var[str], **props) -> rx.Component:
    """A "does not parse" badge with the error beside it; nothing while `syntax_error` is ""."""
    return rx.cond(
        syntax_error != "",
        rx.hstack(
            _badge(),
            rx.text(syntax_error, size="1", color_scheme="red", class_name="parse-error"),
            spacing="1",
            align="center",
            wrap="wrap",
            class_name="does-not-parse",
            **props,
        ),
    )


def api_cell(api: rx.Var[str], syntax_error: rx.Var[str]) -> rx.Component:
    """A version's API (its exported functions), or why there is none."""
    return rx.cond(
        syntax_error != "",
        does_not_parse(syntax_error),
        rx.cond(
            api != "",
            rx.code(api),
            rx.text("no functions", size="1", color_scheme="gray"),
        ),
    )
