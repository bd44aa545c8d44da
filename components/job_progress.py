"""A job the page follows while it runs: a spinner, what it is doing, and its progress bar."""

from __future__ import annotations

import reflex as rx


def job_progress(
    *label: rx.Var | str, progress: rx.Var[int], message_id: str, **props
) -> rx.Component:
    """`label` (e.g. "Deploying v", number, ": ", message) above the job's progress bar."""
    return rx.vstack(
        rx.hstack(rx.spinner(), rx.text(*label, id=message_id)),
        rx.progress(value=progress, max=100, width="100%", aria_label="Progress"),
        width="100%",
        **props,
    )
