"""A monitor's buttons (pause or resume, silence for an hour or a day, delete after a
confirmation), the same on the Monitors list and on a monitor's page."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventType

from components.confirm_dialog import confirm_dialog
from state.monitor_actions import SILENCES


def monitor_buttons(
    state: type[rx.State], row: rx.Var, *, on_delete: EventType | None = None
) -> rx.Component:
    """`row` is a MonitorRow var; `state` has the MonitorRowActions events. `on_delete`
    replaces the plain delete (a monitor's page goes back to the list after it). Buttons the
    person may not use (another person's monitor, for a member) are disabled, and say why
    (`row.refused`, the backend's rule) on hover and next to them."""
    refused = row.refused != ""
    busy = state.acting | refused  # type: ignore[attr-defined]
    why = {"title": row.refused}
    return rx.hstack(
        rx.cond(
            row.active,
            rx.button(
                "Pause",
                size="1",
                variant="soft",
                high_contrast=True,  # soft amber and green fall below WCAG AA without it
                on_click=state.pause(row.id),  # type: ignore[attr-defined]
                disabled=busy,
                **why,
                class_name="monitor-pause",
            ),
            rx.button(
                "Resume",
                size="1",
                variant="soft",
                high_contrast=True,  # soft amber and green fall below WCAG AA without it
                color_scheme="green",
                on_click=state.resume(row.id),  # type: ignore[attr-defined]
                disabled=busy,
                **why,
                class_name="monitor-resume",
            ),
        ),
        *[
            rx.button(
                f"Silence {label}",
                size="1",
                variant="soft",
                high_contrast=True,  # soft amber and green fall below WCAG AA without it
                color_scheme="amber",
                on_click=state.silence(row.id, minutes),  # type: ignore[attr-defined]
                disabled=busy,
                **why,
                class_name=f"monitor-silence-{minutes}",
            )
            for label, minutes in SILENCES
        ],
        confirm_dialog(
            "Delete monitor " + row.id.to_string() + "?",
            "It stops watching and is no longer shown; its firings and notifications stay in "
            "the history.",
            confirm="Delete",
            on_confirm=on_delete if on_delete is not None else state.delete(row.id),  # type: ignore[attr-defined]
            confirm_id="monitor-delete-confirm",
            color_scheme="red",
            trigger=rx.button(
                "Delete",
                size="1",
                variant="soft",
                high_contrast=True,  # soft amber and green fall below WCAG AA without it
                color_scheme="red",
                disabled=busy,
                **why,
                class_name="monitor-delete",
            ),
        ),
        rx.cond(
            refused,
            rx.text(row.refused, size="1", color_scheme="gray", class_name="monitor-refused"),
        ),
        spacing="2",
        wrap="wrap",
        align="center",
    )
