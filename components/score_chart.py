"""An evaluation's scores as bars with their thresholds drawn, and the reasons listed.

Plain bars (boxes whose width is the score) rather than a chart library: they render in the
server-side build, need no client-side measuring, and a threshold is one marker line.
"""

from __future__ import annotations

import reflex as rx


def _percent(value: rx.Var[float]) -> rx.Var[str]:
    return (value * 100).to_string() + "%"


def _bar(bar: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.text(
            bar.label,
            size="2",
            width="9.5em",
            flex_shrink="0",
            padding_left=rx.cond(bar.indent, "1.2em", "0"),
            color=rx.cond(bar.indent, rx.color("gray", 11), rx.color("gray", 12)),
        ),
        rx.box(
            rx.box(
                height="100%",
                width=_percent(bar.score),
                background=rx.cond(bar.passed, rx.color("green", 9), rx.color("red", 9)),
                border_radius="var(--radius-1)",
            ),
            rx.cond(
                bar.threshold >= 0,
                rx.box(
                    position="absolute",
                    top="-3px",
                    bottom="-3px",
                    left=_percent(bar.threshold),
                    width="2px",
                    background=rx.color("gray", 12),
                    title="threshold",
                    class_name="score-threshold",
                ),
            ),
            position="relative",
            height="0.9em",
            flex="1",
            background=rx.color("gray", 4),
            border_radius="var(--radius-1)",
        ),
        rx.text(
            bar.score.to_string(),
            size="1",
            width="3.5em",
            text_align="right",
            font_family="monospace",
        ),
        width="100%",
        align="center",
        spacing="2",
        class_name="score-bar",
    )


def score_chart(bars: rx.Var[list], reasons: rx.Var[list[str]], **props) -> rx.Component:
    """Bars (dimension scores, thresholds as dark markers) and the reasons behind them."""
    return rx.vstack(
        rx.foreach(bars, _bar),
        rx.cond(
            reasons.length() > 0,
            rx.el.ul(
                rx.foreach(reasons, lambda reason: rx.el.li(rx.text(reason, size="2"))),
                padding_left="1.2em",
                margin="0",
                class_name="score-reasons",
            ),
        ),
        width="100%",
        spacing="2",
        **props,
    )
