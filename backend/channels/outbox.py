"""Asking for a message to be sent: a queued Notification row plus the job that sends it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

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
    hold_for_call: str = "",
) -> Notification:
    """Write a queued Notification in the caller's transaction and schedule its sending.

    The job is handed to the broker after the commit (`backend.background.jobs.schedule`), so a
    message
    is never sent for a change that rolled back, and never lost when the broker is away.

    `hold_for_call` (a CallSid): the person is on that call with us; the row is held, without
    a job, to be told in the call (`backend.channels.notify.tell_in_call`) or `release`d to
    go out the usual way once the call ended.
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
        status=NotificationStatus.HELD if hold_for_call else NotificationStatus.QUEUED,
    )
    if hold_for_call:
        notification.data = {**notification.data, "call_sid": hold_for_call}
    session.add(notification)
    session.flush()
    if not hold_for_call:
        jobs.schedule(session, JobKind.NOTIFICATION_SEND, {"notification_id": notification.id})
    return notification


def release(session: Session, notification_id: int) -> bool:
    """A held notification goes out the usual way (queued, with its job); whether it was
    still held (one conditional UPDATE, so it is released, or told in the call, once)."""
    changed = session.execute(
        update(Notification)
        .where(
            col(Notification.id) == notification_id,
            col(Notification.status) == NotificationStatus.HELD,
        )
        .values(status=NotificationStatus.QUEUED)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed:
        jobs.schedule(session, JobKind.NOTIFICATION_SEND, {"notification_id": notification_id})
    return bool(changed)
