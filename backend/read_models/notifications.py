"""Notifications as people read them: every message the product sent (or tried to), newest
first, with the person and the monitor it was for; one query."""

from __future__ import annotations

import dataclasses

from sqlmodel import Session, col, select

from backend.access.audit import Actor
from backend.access.permissions import only_user_id
from backend.commands.wording import condition_phrase
from backend.db import session_scope
from backend.enums import Channel, NotificationStatus
from backend.errors import InvalidInput
from backend.models import Monitor, Notification, User
from backend.read_models.display import when
from backend.read_models.records import Record


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def _check(status: str | None, channel: str | None) -> None:
    if status is not None and status not in set(NotificationStatus):
        raise InvalidInput(f"unknown status {status!r}; known: {', '.join(NotificationStatus)}")
    if channel is not None and channel not in set(Channel):
        raise InvalidInput(f"unknown channel {channel!r}; known: {', '.join(Channel)}")


def latest(
    session: Session,
    *,
    viewer: Actor,
    status: str | None = None,
    channel: str | None = None,
    limit: int = 200,
) -> list[tuple[Notification, str, Monitor | None]]:
    """(notification, its person's name or "", its monitor or None), newest first: the
    viewer's own, or everybody's for an admin."""
    _check(status, channel)
    statement = (
        select(Notification, User.name, Monitor)
        .join(User, col(Notification.user_id) == col(User.id), isouter=True)
        .join(Monitor, col(Notification.monitor_id) == col(Monitor.id), isouter=True)
    )
    only = only_user_id(viewer)
    if only is not None:
        statement = statement.where(Notification.user_id == only)
    if status is not None:
        statement = statement.where(Notification.status == status)
    if channel is not None:
        statement = statement.where(Notification.channel == channel)
    statement = statement.order_by(
        col(Notification.created_at).desc(), col(Notification.id).desc()
    ).limit(limit)
    return [(n, name or "", monitor) for n, name, monitor in session.exec(statement)]


def _watches(monitor: Monitor | None) -> str:
    return condition_phrase(monitor.event_name, monitor.condition) if monitor else ""


@dataclasses.dataclass
class NotificationRow:
    id: int
    created: str
    sent: str
    channel: str
    target: str
    person: str
    purpose: str
    status: str
    attempts: int
    error: str
    provider_id: str
    monitor_id: int  # 0 when it is not a monitor's
    monitor: str  # what that monitor watches, in words
    monitor_deleted: bool  # its monitor was deleted: no page to link to


def notification_row(
    notification: Notification, person: str, monitor: Monitor | None
) -> NotificationRow:
    return NotificationRow(
        id=notification.id or 0,
        created=when(notification.created_at, seconds=True),
        sent=when(notification.sent_at, seconds=True),
        channel=notification.channel,
        target=notification.target,
        person=person,
        purpose=notification.purpose,
        status=notification.status,
        attempts=notification.attempts,
        error=notification.error or "",
        provider_id=notification.provider_id or "",
        monitor_id=notification.monitor_id or 0,
        monitor=_watches(monitor),
        monitor_deleted=monitor is not None and monitor.deleted_at is not None,
    )


@dataclasses.dataclass
class NotificationRecord(Record):
    """A notification for --json (never its body: it may hold a verification code)."""

    id: int | None
    channel: str
    target: str
    user_id: int | None
    person: str | None
    purpose: str
    subject: str | None
    status: str
    attempts: int
    error: str | None
    provider_id: str | None
    monitor_id: int | None
    monitor: str | None
    firing_id: int | None
    created_at: str | None
    sent_at: str | None


def notification_record(
    notification: Notification, person: str, monitor: Monitor | None
) -> NotificationRecord:
    return NotificationRecord(
        id=notification.id,
        channel=notification.channel,
        target=notification.target,
        user_id=notification.user_id,
        person=person or None,
        purpose=notification.purpose,
        subject=notification.subject,
        status=notification.status,
        attempts=notification.attempts,
        error=notification.error,
        provider_id=notification.provider_id,
        monitor_id=notification.monitor_id,
        monitor=_watches(monitor) or None,
        firing_id=notification.firing_id,
        created_at=_iso(notification.created_at),
        sent_at=_iso(notification.sent_at),
    )


def read_notification_records(
    viewer: Actor, status: str | None = None, channel: str | None = None, limit: int = 200
) -> list[NotificationRecord]:
    """Notifications for --json, newest first, optionally of one status and channel: the
    viewer's own, or everybody's for an admin (or the operator)."""
    with session_scope() as session:
        found = latest(session, viewer=viewer, status=status, channel=channel, limit=limit)
        return [notification_record(*one) for one in found]


def read_notifications(
    viewer: Actor, status: str | None = None, channel: str | None = None, limit: int = 200
) -> list[NotificationRow]:
    """The Notifications page's rows, newest first, optionally of one status and channel:
    the viewer's own, or everybody's for an admin."""
    with session_scope() as session:
        found = latest(session, viewer=viewer, status=status, channel=channel, limit=limit)
        return [notification_row(*one) for one in found]
