"""An evaluation's verdict, warnings, findings and scores: shown after a save (the Code tab)
and for each attempt of a requested change (the Modify tab)."""

from __future__ import annotations

import reflex as rx

from components.notice import notice_if
from components.score_chart import score_chart
from components.status_badge import status_badge


def evaluation(view: rx.Var, **props) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text("Verdict", weight="medium", size="2"),
            status_badge(view.verdict),
            rx.text("overall ", view.overall, size="2", color_scheme="gray"),
            align="center",
            spacing="2",
        ),
        rx.foreach(view.warnings, lambda warning: notice_if(warning, class_name="eval-warning")),
        rx.cond(
            view.highlights.length() > 0,
            rx.box(
                rx.text("What the checks found", weight="medium", size="2", as_="div"),
                # One line each: against the parent, the mutation score, per function the
                # inputs compared (by source, branch coverage), the first differing input;
                # long inputs wrap rather than being cut off.
                rx.el.ul(
                    rx.foreach(
                        view.highlights,
                        lambda line: rx.el.li(rx.text(line, size="2"), overflow_wrap="anywhere"),
                    ),
                    padding_left="1.2em",
                    margin="0",
                    aria_label="What the checks found",
                    class_name="eval-highlights",
                ),
                width="100%",
                class_name="eval-findings",
            ),
        ),
        score_chart(view.bars, view.reasons),
        width="100%",
        spacing="2",
        **props,
    )
