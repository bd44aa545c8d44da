"""A confirmation before a consequential action (deploy, restore, approve and deploy): what
will happen, Cancel, and the action's own button."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventType

from components.forms import DIALOG_BODY, DIALOG_CONTENT, DIALOG_FOOTER


def confirm_dialog(
    title: rx.Var[str] | str,
    description: rx.Var[str] | str,
    *,
    confirm: str | rx.Var[str],
    on_confirm: EventType,
    confirm_id: str,
    trigger: rx.Component | None = None,
    open: rx.Var[bool] | None = None,
    on_cancel: EventType | None = None,
    busy: rx.Var[bool] | bool = False,
    error: rx.Component | None = None,
    color_scheme: str | None = None,
) -> rx.Component:
    """Ask before `on_confirm` runs. Two ways to open it:

    - `trigger`: the button that opens it; confirming closes it at once, so the page shows
      the progress and any error where the action's result appears.
    - `open` (a state var) with `on_cancel`: the state opens and closes it, so it can stay
      open while `busy` and show `error` (e.g. one dialog for every row of a table).
    """
    if (trigger is None) == (open is None):
        raise ValueError("confirm_dialog takes a trigger or an open var, not both or neither")
    button = rx.button(
        confirm,
        on_click=on_confirm,
        loading=busy,
        disabled=busy,
        id=confirm_id,
        **({"color_scheme": color_scheme} if color_scheme else {}),
    )
    cancel = rx.button(
        "Cancel",
        variant="soft",
        color_scheme="gray",
        **({"on_click": on_cancel} if on_cancel is not None else {}),
    )
    content = rx.alert_dialog.content(
        rx.alert_dialog.title(title),
        # A long description scrolls; the error and the buttons below it stay in view.
        rx.box(rx.alert_dialog.description(description), style=DIALOG_BODY),
        rx.vstack(
            *([error] if error is not None else []),
            rx.hstack(
                rx.alert_dialog.cancel(cancel),
                # A controlled dialog closes when its state says so, not on the button's click.
                button if open is not None else rx.alert_dialog.action(button),
                justify="end",
                spacing="2",
                width="100%",
            ),
            spacing="3",
            style=DIALOG_FOOTER,
        ),
        style=DIALOG_CONTENT,
    )
    if open is not None:
        return rx.alert_dialog.root(content, open=open)
    return rx.alert_dialog.root(rx.alert_dialog.trigger(trigger), content)
