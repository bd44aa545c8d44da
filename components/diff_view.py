"""File-by-file diffs in Monaco's diff editor, with a side-by-side / inline switch."""

from __future__ import annotations

import reflex as rx

from components.editor import diff_editor


def _file(change: rx.Var, side_by_side: rx.Var[bool]) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.code(change.path),
            rx.badge(change.change, variant="soft"),
            rx.text(
                "+" + change.added.to_string() + " -" + change.removed.to_string(),
                size="1",
                color_scheme="gray",
            ),
            rx.cond(
                change.whitespace_only,
                rx.badge(
                    "whitespace only",
                    color_scheme="amber",
                    variant="soft",
                    high_contrast=True,
                    class_name="diff-whitespace-only",
                ),
            ),
            align="center",
            spacing="2",
            wrap="wrap",
        ),
        diff_editor(change.old, change.new, side_by_side=side_by_side, height="320px"),
        width="100%",
        spacing="2",
        class_name="diff-file",
    )


def diff_view(
    changes: rx.Var[list],
    side_by_side: rx.Var[bool],
    on_toggle: rx.EventHandler,
    *,
    empty_text: str = "The two versions have the same files.",
    **props,
) -> rx.Component:
    """`changes` holds items with path, change, added, removed, old and new fields."""
    return rx.vstack(
        rx.hstack(
            rx.switch(
                checked=side_by_side,
                on_change=on_toggle,
                class_name="diff-side-by-side",
                aria_label="Side by side",
            ),
            rx.text("Side by side", size="2"),
            align="center",
            spacing="2",
        ),
        rx.cond(
            changes.length() > 0,
            rx.foreach(changes, lambda change: _file(change, side_by_side)),
            rx.text(empty_text, color_scheme="gray", size="2", class_name="diff-empty"),
        ),
        width="100%",
        spacing="3",
        **props,
    )
