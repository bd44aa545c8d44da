"""Reaching a person by phone: choosing call or text, and what Twilio reports afterwards.

Both take the caller's session and never commit: the notification is queued with the change
that asked for it, and a status callback is recorded with the webhook's receipt.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from backend.channels import fallback, outbox
from backend.channels.delivery import FINAL_STATUSES
from backend.enums import PHONE_CHANNELS, Channel, NotificationPurpose, NotificationStatus
from backend.errors import InvalidInput
from backend.models import Notification, User

logger = logging.getLogger(__name__)

#: Twilio call and message statuses that end a notification, and how to say why it failed.
DELIVERED_STATUSES = ("completed", "delivered")
FAILED_STATUSES = {
    "busy": "the line was busy",
    "no-answer": "nobody answered",
    "failed": "it could not be placed",
    "canceled": "it was canceled",
    "undelivered": "the carrier could not deliver it",
}
#: Statuses on the way (queued, initiated, ringing, in-progress, answered, sending, sent):
#: the row stays sent.


def choose_channel(user: User, asked_by: Channel | str | None = None) -> Channel:
    """Call or text: the person's preference, else how they asked, else a text to a verified
    number; a text to a number that opted out becomes a call.

    Raises `InvalidInput` when the person has no phone number, or has neither said how they
    want to be reached nor verified their number.
    """
    if not user.phone:
        raise InvalidInput(
            f"{user.name} has no phone number, so they can't be called or texted; "
            "add one on their profile"
        )
    if user.preferred_channel in PHONE_CHANNELS:
        channel = Channel(user.preferred_channel)
    elif asked_by in PHONE_CHANNELS:
        channel = Channel(asked_by)
    elif user.phone_verified:
        channel = Channel.SMS
    else:
        raise InvalidInput(
            f"{user.name}'s phone number is not verified and they prefer "
            f"{user.preferred_channel}, so they are not called or texted"
        )
    if channel == Channel.SMS and user.sms_opted_out:
        return Channel.VOICE
    return channel


def notify_person(
    session: Session,
    user: User,
    *,
    body: str,
    purpose: NotificationPurpose,
    asked_by: Channel | None = None,
    data: dict[str, Any] | None = None,
    subject: str = "",
) -> Notification:
    """Queue `body` for `user` by call or text (`choose_channel`), in the caller's transaction.

    `data` is the channel's extras, e.g. {"twiml": ...} for a call that does more than speak.
    """
    channel = choose_channel(user, asked_by)
    return outbox.queue(
        session,
        channel=channel,
        target=str(user.phone),
        body=body,
        purpose=purpose,
        user_id=user.id,
        subject=subject,
        data=data,
    )


def _failure_reason(notification: Notification, status: str, error_code: str | None) -> str:
    what = "the call" if notification.channel == Channel.VOICE else "the text message"
    code = f", Twilio error {error_code}" if error_code else ""
    return f"Twilio reported {what} {status}: {FAILED_STATUSES[status]}{code}"


def record_provider_status(
    session: Session, provider_id: str, status: str, *, error_code: str | None = None
) -> Notification | None:
    """Record a Twilio status callback on the notification it names; None for an unknown id.

    completed/delivered -> delivered; busy, no-answer, failed, canceled, undelivered ->
    failed with the reason (and a result goes out on the next channel); any other status
    leaves the row as it is. A final status is never changed again, so callbacks arriving
    late or out of order (Twilio gives no ordering guarantee) cannot move it backwards.
    """
    notification = session.exec(
        select(Notification).where(col(Notification.provider_id) == provider_id)
    ).first()
    if notification is None:
        return None
    status = (status or "").strip().lower()
    if status in DELIVERED_STATUSES:
        values: dict[str, Any] = {"status": NotificationStatus.DELIVERED}
    elif status in FAILED_STATUSES:
        values = {
            "status": NotificationStatus.FAILED,
            "error": _failure_reason(notification, status, error_code),
        }
    else:
        return notification
    # Conditional, so two callbacks racing cannot both end it (nor both queue a replacement).
    changed = session.execute(
        update(Notification)
        .where(
            col(Notification.id) == notification.id,
            col(Notification.status).not_in(list(FINAL_STATUSES)),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(notification)
    if changed and notification.status == NotificationStatus.FAILED:
        replacement = fallback.after_failure(session, notification)
        logger.info(
            "notification %s failed (%s)%s",
            notification.id,
            notification.error,
            f"; replaced by {replacement.id}" if replacement else "",
        )
    return notification
