"""Text shown as code (results, logs, storage, commands): monospace, scrolling sideways.

Plain text in the theme's own colours rather than a syntax-highlighting theme: the highlight
colours of the light themes fall below WCAG AA contrast on their background.
"""

from __future__ import annotations

import reflex as rx


def code_text(text: rx.Var[str] | str, *, wrap: bool = False, **props) -> rx.Component:
    """`text` in a monospace block; `wrap` breaks long lines instead of scrolling."""
    return rx.el.pre(
        text,
        font_family="var(--code-font-family)",
        font_size="var(--font-size-1)",
        background=rx.color("gray", 2),
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="var(--radius-2)",
        padding="0.75em",
        margin="0",
        width="100%",
        overflow_x="auto",
        white_space="pre-wrap" if wrap else "pre",
        tab_index=0,  # it may scroll: reachable by keyboard
        **props,
    )
