"""Reaching a person by phone: choosing call or text, and what Twilio reports afterwards.

Both take the caller's session and never commit: the notification is queued with the change
that asked for it, and a status callback is recorded with the webhook's receipt.

A result for someone who is on a call with us right now is not a second call a second later:
it is held (`NotificationStatus.HELD`) and told in that call at its next turn
(`tell_in_call`), or, when the call ends first, released to go out as usual
(`release_held`: at the call's final status callback, or once the call had no turn for
CALL_QUIET_SECONDS).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from backend.channels import fallback, outbox
from backend.channels.delivery import FINAL_STATUSES
from backend.enums import PHONE_CHANNELS, Channel, NotificationPurpose, NotificationStatus
from backend.errors import InvalidInput
from backend.models import Interaction, Notification, User, utcnow

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
#: A call's statuses that say it is over (the person is no longer on it).
CALL_ENDED = ("completed", "busy", "no-answer", "failed", "canceled")
#: A call's statuses that say a person is on it.
CALL_LIVE = ("in-progress", "answered")
#: A call with no turn (nor a live status) for this long is taken to have ended: a live call
#: has one every few seconds (a Gather listens 5 s before it posts an empty result).
CALL_QUIET_SECONDS = 60
#: How a result told in a call is introduced.
MEANWHILE = "While we were talking:"


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
    on_call = ""
    if channel == Channel.VOICE and purpose == NotificationPurpose.RESULT:
        on_call = call_in_progress(session, str(user.phone)) or ""
    return outbox.queue(
        session,
        channel=channel,
        target=str(user.phone),
        body=body,
        purpose=purpose,
        user_id=user.id,
        subject=subject,
        data=data,
        hold_for_call=on_call,
    )


def call_in_progress(session: Session, phone: str) -> str | None:
    """The CallSid of a call this number is on with us now, if any: one with a turn (or a
    live status) in the last CALL_QUIET_SECONDS and no status that says it ended."""
    since = utcnow() - timedelta(seconds=CALL_QUIET_SECONDS)
    rows = session.exec(
        select(Interaction.provider_sid, Interaction.step, Interaction.outcome)
        .where(
            Interaction.channel == Channel.VOICE,
            Interaction.phone == (phone or "")[:32],
            Interaction.provider_sid != "",
            col(Interaction.created_at) >= since,
        )
        .order_by(col(Interaction.id).desc())
        .limit(50)
    ).all()
    ended = {sid for sid, step, outcome in rows if step == "status" and outcome in CALL_ENDED}
    for sid, step, outcome in rows:
        if sid not in ended and (step != "status" or outcome in CALL_LIVE):
            return sid
    return None


def tell_in_call(session: Session, user_id: int, call_sid: str) -> list[str]:
    """The results held for this person's call `call_sid`, marked delivered: what the call
    says at this turn (each once, however many turns race for it)."""
    held = session.exec(
        select(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.status == NotificationStatus.HELD,
        )
        .order_by(col(Notification.id))
    ).all()
    told = []
    for notification in held:
        if (notification.data or {}).get("call_sid") != call_sid:
            continue
        changed = session.execute(
            update(Notification)
            .where(
                col(Notification.id) == notification.id,
                col(Notification.status) == NotificationStatus.HELD,
            )
            .values(status=NotificationStatus.DELIVERED, sent_at=utcnow(), attempts=1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            told.append(str((notification.data or {}).get("spoken") or notification.body))
    return told


def release_held(session: Session, call_sid: str | None = None) -> int:
    """Send the usual way the results held for a call that ended (`call_sid`'s, which just
    ended, or any whose call is no longer in progress); how many."""
    held = session.exec(
        select(Notification).where(Notification.status == NotificationStatus.HELD)
    ).all()
    released = 0
    for notification in held:
        sid = (notification.data or {}).get("call_sid")
        over = (
            sid == call_sid if call_sid else call_in_progress(session, notification.target) != sid
        )
        if over:
            released += outbox.release(session, int(notification.id))
    return released


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
