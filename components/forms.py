"""Form pieces: a labelled control, a labelled text input, a code field, and a form in a
dialog that fits the screen."""

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


def code_area(name: str, *, id: str, rows: str = "10", **props) -> rx.Component:
    """A text area for code: monospace, lines never wrap (it scrolls sideways), no spell
    check; its value reaches the submit handler under `name`."""
    return rx.text_area(
        name=name,
        id=id,
        rows=rows,
        wrap="off",
        spell_check=False,
        font_family="var(--code-font-family)",
        width="100%",
        # Radix's reset gives every textarea `white-space: pre-wrap`, which beats wrap="off".
        style={"& textarea": {"white_space": "pre", "overflow_x": "auto"}},
        **props,
    )


#: The dialog never grows past the screen: its title stays on top, the fields scroll, and
#: the error and the buttons stay in view below them.
DIALOG_CONTENT = {
    "max_width": "40em",
    "max_height": "calc(100dvh - 2em)",
    "display": "flex",
    "flex_direction": "column",
    "overflow": "hidden",
}
DIALOG_BODY = {
    "flex": "1 1 auto",
    "min_height": "0",
    "overflow_y": "auto",
    "padding": "2px",  # room for the focus rings the scroll box would cut
    # Every control takes the dialog's width (an input alone would be ~200 px).
    "& .rt-TextFieldRoot, & .rt-TextAreaRoot, & .rt-SelectTrigger": {"width": "100%"},
}
DIALOG_FOOTER = {"flex_shrink": "0", "padding_top": "var(--space-3)", "width": "100%"}


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
    close: str | rx.Var[str] = "Cancel",
    error: rx.Component | None = None,
) -> rx.Component:
    """A dialog holding a form: `children` (fields, progress) scroll above `error` and the
    Cancel and Submit buttons, which stay in view however long the form or the error is.

    The state owns `open`, so the dialog stays open on an error and closes on success (and
    the state closes it on its page's load: a dialog opens only when asked); the form keeps
    what was typed (no reset) so a refused submit can be corrected.
    """
    return rx.dialog.root(
        rx.dialog.trigger(trigger),
        rx.dialog.content(
            rx.dialog.title(title),
            rx.dialog.description(description, margin_bottom="var(--space-3)"),
            rx.form(
                rx.box(
                    rx.vstack(*children, spacing="3", width="100%"),
                    style=DIALOG_BODY,
                    class_name="dialog-body",
                ),
                rx.vstack(
                    *([error] if error is not None else []),
                    rx.hstack(
                        rx.dialog.close(
                            rx.button(close, variant="soft", color_scheme="gray", type="button")
                        ),
                        rx.button(submit, type="submit", loading=busy, disabled=busy, id=submit_id),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    style=DIALOG_FOOTER,
                    class_name="dialog-footer",
                ),
                on_submit=on_submit,
                reset_on_submit=False,
                display="flex",
                flex_direction="column",
                min_height="0",
                flex="1 1 auto",
            ),
            style=DIALOG_CONTENT,
        ),
        open=open,
        on_open_change=on_open_change,
    )
