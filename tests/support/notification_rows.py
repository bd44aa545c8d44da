"""Notification rows in a given state for the channel tests, made without the job that
would send them (a test delivers them itself)."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from backend.db import session_scope
from backend.enums import Channel, NotificationPurpose, NotificationStatus
from backend.models import Notification


def queued(
    channel: Channel,
    *,
    target: str,
    body: str,
    purpose: NotificationPurpose = NotificationPurpose.ALERT,
    user_id: int | None = None,
    subject: str = "",
    data: dict[str, Any] | None = None,
) -> int:
    """A queued notification's id."""
    with session_scope() as session:
        notification = Notification(
            channel=channel,
            purpose=purpose,
            target=target,
            subject=subject,
            body=body,
            data=data or {},
            user_id=user_id,
            status=NotificationStatus.QUEUED,
        )
        session.add(notification)
        session.flush()
        return int(notification.id)


def stored(notification_id: int) -> Notification:
    with session_scope() as session:
        return session.get(Notification, notification_id)


def replacements(notification_id: int) -> list[Notification]:
    """The notifications sent instead of this one."""
    with session_scope() as session:
        rows = session.exec(select(Notification).order_by(col(Notification.id))).all()
        return [r for r in rows if r.data.get("replaces") == notification_id]
