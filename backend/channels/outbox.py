"""Asking for a message to be sent: a queued Notification row plus the job that sends it."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from backend.background import jobs
from backend.enums import Channel, JobKind, NotificationPurpose, NotificationStatus
from backend.models import Notification


def queue(
    session: Session,
    *,
    channel: Channel,
    target: str,
    body: str,
    purpose: NotificationPurpose,
    user_id: int | None = None,
    subject: str = "",
    data: dict[str, Any] | None = None,
    monitor_id: int | None = None,
    event_id: int | None = None,
    firing_id: int | None = None,
    repeat: int = 0,
) -> Notification:
    """Write a queued Notification in the caller's transaction and schedule its sending.

    The job is handed to the broker after the commit (`backend.background.jobs.schedule`), so a
    message
    is never sent for a change that rolled back, and never lost when the broker is away.
    """
    notification = Notification(
        channel=Channel(channel),
        purpose=NotificationPurpose(purpose),
        target=target,
        subject=subject,
        body=body,
        data=dict(data or {}),
        user_id=user_id,
        monitor_id=monitor_id,
        event_id=event_id,
        firing_id=firing_id,
        repeat=repeat,
        status=NotificationStatus.QUEUED,
    )
    session.add(notification)
    session.flush()
    jobs.schedule(session, JobKind.NOTIFICATION_SEND, {"notification_id": notification.id})
    return notification
