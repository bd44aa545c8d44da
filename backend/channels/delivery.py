"""Sending a queued Notification through its channel, with retries; the row is the record.

`deliver` is what the `notification.send` job runs. Each step is its own short transaction,
so a page showing the row sees every try as it happens:

- a row that is no longer queued (sent, delivered, failed, suppressed) is left alone: the
  job may run twice, and a message must not go out twice;
- a text to a number that opted out is not sent: `suppressed`, and a call says it instead;
- otherwise up to NOTIFY_MAX_ATTEMPTS tries, waiting NOTIFY_RETRY_SECONDS before the second
  and twice as long before each further one; a `TransientFailure` is tried again, a
  `PermanentFailure` (or missing settings) ends it at once;
- the outcome is `sent` with the vendor's id, or `failed` with the last error, and a result
  that failed goes out on the next channel (`fallback`).

A delivery failure is an outcome, not an error of the job: it is recorded on the row (and
the replacement queued), and the job succeeds with that outcome in its result. The job
fails only when there is no row to deliver, or for an unexpected error (a bug), which is
recorded on the row too before it is raised.

However the job itself ends failed (its worker lost too often, the database away when it
tried to record the outcome, a job that could not start), the notification it was for does
not stay queued: `_job_failed`, run where the job's failure is recorded, fails it with the
job's reason and queues the replacement on the next channel.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from backend.background import jobs
from backend.channels import fallback
from backend.channels.base import DeliveryFailure, TransientFailure
from backend.channels.registry import sender_for
from backend.config import get_settings
from backend.db import session_scope
from backend.enums import Channel, JobKind, NotificationStatus
from backend.errors import NotFound, ProductError
from backend.models import Notification, Task, User, utcnow

logger = logging.getLogger(__name__)

#: Statuses a notification never leaves (a callback may still turn sent into these).
FINAL_STATUSES = (
    NotificationStatus.DELIVERED,
    NotificationStatus.FAILED,
    NotificationStatus.SUPPRESSED,
)


def _get(session: Session, notification_id: int) -> Notification:
    notification = session.get(Notification, notification_id, populate_existing=True)
    if notification is None:
        raise NotFound(f"notification {notification_id} does not exist")
    return notification


def _update_queued(session: Session, notification_id: int, **values: Any) -> bool:
    """Change the row only while it is still queued; whether it changed.

    One conditional UPDATE, so a second run of the job (or a race) cannot undo an outcome.
    """
    statement = (
        update(Notification)
        .where(
            col(Notification.id) == notification_id,
            col(Notification.status) == NotificationStatus.QUEUED,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).rowcount == 1


def _summary(notification: Notification, **extra: Any) -> dict[str, Any]:
    """The job's result: what happened to the notification."""
    return {
        "notification_id": notification.id,
        "channel": notification.channel,
        "status": notification.status,
        "attempts": notification.attempts,
        "provider_id": notification.provider_id,
        "error": notification.error,
        **extra,
    }


def _opted_out(session: Session, notification: Notification) -> bool:
    """Whether the text's recipient (the person, or whoever holds the number) opted out."""
    if notification.channel != Channel.SMS:
        return False
    who = col(User.phone) == notification.target
    if notification.user_id is not None:
        who = who | (col(User.id) == notification.user_id)
    return any(user.sms_opted_out for user in session.exec(select(User).where(who)))


def _end_queued(
    session: Session, notification_id: int, status: NotificationStatus, **values: Any
) -> tuple[Notification, Notification | None] | None:
    """In `session`: end a still queued notification as failed or suppressed and queue what
    goes out instead; (it, its replacement or None), or None when it was no longer queued."""
    if not _update_queued(session, notification_id, status=status, **values):
        return None
    notification = _get(session, notification_id)
    if status == NotificationStatus.SUPPRESSED:
        replacement = fallback.after_opt_out(session, notification)
    else:
        replacement = fallback.after_failure(session, notification)
    logger.info(
        "notification %s %s: %s%s",
        notification_id,
        status,
        values.get("error"),
        f"; replaced by {replacement.id}" if replacement else "",
    )
    return notification, replacement


def _finish(notification_id: int, status: NotificationStatus, **values: Any) -> dict[str, Any]:
    """End a queued notification as failed or suppressed, and queue what goes out instead."""
    with session_scope() as session:
        ended = _end_queued(session, notification_id, status, **values)
        if ended is None:
            return _summary(_get(session, notification_id), skipped=True)
        notification, replacement = ended
        return _summary(notification, replaced_by=replacement.id if replacement else None)


def _job_failed(session: Session, task: Task) -> None:
    """A `notification.send` job ended failed: its notification, if still queued, fails with
    the job's reason and goes out on the next channel (in the failure's transaction)."""
    notification_id = (task.params or {}).get("notification_id")
    if not isinstance(notification_id, int) or session.get(Notification, notification_id) is None:
        return  # the job failed for want of a notification: nothing is left queued
    _end_queued(
        session,
        notification_id,
        NotificationStatus.FAILED,
        error=f"its sending job (task {task.id}) failed: {task.error}",
    )


jobs.on_failure(JobKind.NOTIFICATION_SEND, _job_failed)


def _record_try(notification_id: int, attempt: int, error: str) -> None:
    with session_scope() as session:
        _update_queued(session, notification_id, attempts=attempt, error=error)


def _sent(notification_id: int, attempt: int, provider_id: str) -> dict[str, Any]:
    with session_scope() as session:
        changed = _update_queued(
            session,
            notification_id,
            status=NotificationStatus.SENT,
            attempts=attempt,
            provider_id=provider_id,
            error=None,
            sent_at=utcnow(),
        )
        return _summary(_get(session, notification_id), **({} if changed else {"skipped": True}))


def deliver(notification_id: int) -> dict[str, Any]:
    """Send the notification; returns {"notification_id", "channel", "status", "attempts",
    "provider_id", "error"} and, where it applies, "replaced_by" or "skipped"."""
    settings = get_settings()
    with session_scope() as session:
        notification = _get(session, notification_id)
        if notification.status != NotificationStatus.QUEUED:
            return _summary(notification, skipped=True)
        opted_out = _opted_out(session, notification)
    if opted_out:
        return _finish(
            notification_id,
            NotificationStatus.SUPPRESSED,
            error="not sent: the number opted out of text messages (replied STOP)",
        )
    attempt = notification.attempts  # a lost run's tries count too
    last = max(attempt + 1, settings.notify_max_attempts)
    delay = settings.notify_retry_seconds
    while True:
        attempt += 1
        try:
            provider_id = sender_for(notification.channel).send(notification)
        except TransientFailure as exc:
            if attempt < last:
                _record_try(notification_id, attempt, str(exc))
                time.sleep(delay)
                delay *= 2
                continue
            error = f"{exc} (gave up after {attempt} tries)"
            return _finish(
                notification_id, NotificationStatus.FAILED, attempts=attempt, error=error
            )
        except (DeliveryFailure, ProductError) as exc:  # refused, or not configured
            return _finish(
                notification_id, NotificationStatus.FAILED, attempts=attempt, error=str(exc)
            )
        except Exception as exc:
            _finish(
                notification_id,
                NotificationStatus.FAILED,
                attempts=attempt,
                error=f"unexpected error: {type(exc).__name__}: {exc}",
            )
            raise
        return _sent(notification_id, attempt, provider_id)
