"""Sending a queued Notification through its channel (being written on branch issue11-channels)."""

from __future__ import annotations

from typing import Any


def deliver(notification_id: int) -> dict[str, Any]:
    """Send the notification; returns {"notification_id", "status", "provider_id", ...}."""
    raise NotImplementedError("backend.channels.delivery is written on branch issue11-channels")
