"""A coloured badge for any status word the product uses (objects, deployments,
modifications, tasks, verdicts), so the same word looks the same on every page."""

from __future__ import annotations

import reflex as rx

STATUS_COLORS: dict[str, str] = {
    # objects
    "draft": "gray",
    "deployed": "green",
    "failed": "red",
    "deprecated": "amber",
    # deployments
    "testing": "blue",
    "live": "green",
    "superseded": "gray",
    "rolled_back": "amber",
    # modifications
    "planning": "blue",
    "generating": "blue",
    "evaluating": "blue",
    "awaiting_approval": "amber",
    "approved": "green",
    "applied": "green",
    "rejected": "red",
    "paused_budget": "amber",
    # tasks
    "pending": "gray",
    "running": "blue",
    "succeeded": "green",
    # monitors
    "armed": "green",
    "firing": "red",
    "paused": "gray",
    "silenced": "amber",
    # notifications
    "queued": "gray",
    "sent": "blue",
    "delivered": "green",
    "suppressed": "amber",
    "held": "blue",  # told in the call the person is on, or sent once it ends
    # verdicts
    "accept": "green",
    "reject": "red",
}


def status_badge(
    status: rx.Var[str] | str, class_name: str = "status-badge", **props
) -> rx.Component:
    """`status` as a soft badge; unknown words are gray."""
    color = (
        STATUS_COLORS.get(status, "gray")
        if isinstance(status, str)
        else rx.match(status, *STATUS_COLORS.items(), "gray")
    )
    # high_contrast: the soft amber and green badges fall below WCAG AA contrast without it.
    return rx.badge(
        status,
        color_scheme=color,
        variant="soft",
        high_contrast=True,
        class_name=class_name,
        **props,
    )
