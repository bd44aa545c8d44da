"""Form pieces: a labelled control, a labelled text input, and a form in a dialog."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventType


def labelled(label: str, control: rx.Component) -> rx.Component:
    """`label` above `control`, tied to it (a click on the label focuses the control)."""
    # A plain <label for=...>: Radix's Text would drop `htmlFor` (it ends up in its css).
    return rx.vstack(
        rx.el.label(
            label,
            html_for=control.id,
            font_size="var(--font-size-2)",
            font_weight="var(--font-weight-medium)",
        ),
        control,
        spacing="1",
        width="100%",
    )


def field(label: str, name: str, *, type: str = "text", required: bool = True, **props):
    """A labelled input whose value reaches the submit handler under `name` (also its id)."""
    return labelled(
        label, rx.input(name=name, id=name, type=type, required=required, width="100%", **props)
    )


def form_dialog(
    title: str,
    description: str,
    *children: rx.Component,
    trigger: rx.Component,
    submit: str,
    submit_id: str,
    on_submit: EventType,
    busy: rx.Var[bool],
    open: rx.Var[bool],
    on_open_change: EventType,
    close: str = "Cancel",
) -> rx.Component:
    """A dialog holding a form: `children` (fields, errors, progress) above Close and Submit.

    The state owns `open`, so the dialog stays open on an error and closes on success; the
    form keeps what was typed (no reset) so a refused submit can be corrected.
    """
    return rx.dialog.root(
        rx.dialog.trigger(trigger),
        rx.dialog.content(
            rx.dialog.title(title),
            rx.dialog.description(description),
            rx.form(
                rx.vstack(
                    *children,
                    rx.hstack(
                        rx.dialog.close(
                            rx.button(close, variant="soft", color_scheme="gray", type="button")
                        ),
                        rx.button(submit, type="submit", loading=busy, disabled=busy, id=submit_id),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=on_submit,
                reset_on_submit=False,
            ),
            max_width="40em",
        ),
        open=open,
        on_open_change=on_open_change,
    )
