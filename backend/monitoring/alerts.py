"""Telling a monitor's owner that it fired: which channel, what it says, and the answers.

The monitor's channel is used unless the person's limits say otherwise: a call during
their quiet hours (in their own time zone), or past MAX_CALLS_PER_HOUR, becomes an SMS that
says why. A silenced monitor's firing is still recorded, with a notification marked
suppressed. An alert call says what happened and offers "press 1 to acknowledge, 2 to pause
this monitor, 3 to silence it for an hour" (SMS: reply ACK, PAUSE or MUTE 1H); until then
the call is tried again every ALERT_CALL_REPEAT_MINUTES, ALERT_CALL_TRIES times in all
(voicemail counts as not reached), and then goes out by SMS.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from backend.access import audit
from backend.channels import outbox, twiml
from backend.config import get_settings
from backend.enums import Channel, EventName, NotificationPurpose, NotificationStatus
from backend.errors import Conflict, NotFound
from backend.events import activity
from backend.models import Monitor, MonitorFiring, Notification, User, utcnow
from backend.monitoring import monitors
from backend.monitoring.messages import Message
from backend.urls import VOICE_ALERT_PATH

ALERT_CHOICES = "Press 1 to acknowledge, 2 to pause this monitor, 3 to silence it for an hour."
SMS_CHOICES = "Reply ACK to acknowledge, PAUSE to pause this monitor, MUTE 1H to silence it."


def rollback_sms(offer: dict) -> str:
    """What an SMS alert with a rollback offer asks."""
    return (
        f"Reply ROLLBACK and your PIN (for example ROLLBACK 1234) to go back to "
        f"v{offer['version']}, or ACK to acknowledge."
    )


def rollback_keys(offer: dict) -> str:
    """What an alert call with a rollback offer asks."""
    return (
        f"Press 1 to go back to version {offer['version']}, 2 to pause this monitor, "
        "3 to silence it for an hour."
    )


def in_quiet_hours(user: User, now: datetime | None = None) -> bool:
    """Whether it is the person's quiet time, in their own time zone."""
    if not user.quiet_start or not user.quiet_end:
        return False
    try:
        zone = ZoneInfo(user.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = (now or utcnow()).astimezone(zone).strftime("%H:%M")
    start, end = user.quiet_start, user.quiet_end
    return start <= local < end if start <= end else local >= start or local < end


def _calls_last_hour(session: Session, user_id: int) -> int:
    since = utcnow() - timedelta(hours=1)
    return int(
        session.exec(
            select(func.count())
            .select_from(Notification)
            .where(
                Notification.user_id == user_id,
                Notification.channel == Channel.VOICE,
                Notification.purpose == NotificationPurpose.ALERT,
                col(Notification.created_at) >= since,
            )
        ).one()
    )


def _channel(session: Session, channel: Channel, owner: User) -> tuple[Channel, str]:
    """The channel to use now instead of `channel`, and why it is not that one ("" when it
    is): a call, first or repeated, counts toward the hourly cap and respects quiet hours."""
    if channel != Channel.VOICE:
        return channel, ""
    if in_quiet_hours(owner):
        return Channel.SMS, "It's your quiet hours, so I'm texting instead of calling."
    if _calls_last_hour(session, owner.id) >= get_settings().max_calls_per_hour:
        return Channel.SMS, "You've had the most calls an hour allows, so I'm texting."
    return channel, ""


def _target(owner: User, channel: Channel) -> str:
    settings = get_settings()
    if channel in (Channel.VOICE, Channel.SMS):
        return owner.phone or ""
    if channel == Channel.EMAIL:
        return owner.email
    if channel == Channel.SLACK:
        return owner.slack_id or settings.slack_channel
    return settings.github_repo


def alert_call_twiml(short: str, firing_id: int, offer: dict | None = None) -> str:
    """What an alert call says, and the keys it takes (1 rolls back when it offers to)."""
    return twiml.keypad(
        short + " " + (rollback_keys(offer) if offer else ALERT_CHOICES),
        twiml.url(VOICE_ALERT_PATH, firing=firing_id),
        digits=1,
        fallback="Goodbye.",
    )


def send(
    session: Session,
    monitor: Monitor,
    firing: MonitorFiring,
    message: Message,
    *,
    repeat: int = 0,
    channel: Channel | None = None,
) -> Notification:
    """Queue the notification of `firing` (in the caller's transaction), by `channel` (a
    repeat's) or the monitor's own; a call past the hourly cap or in quiet hours is a text."""
    owner = session.get(User, monitor.owner_id)
    chosen, why = _channel(session, Channel(channel or monitor.channel), owner)
    full = chosen in (Channel.EMAIL, Channel.GITHUB, Channel.SLACK)
    body = message.full if full else message.short
    offer = message.offer
    if chosen == Channel.SMS:
        choices = rollback_sms(offer) if offer else SMS_CHOICES
        body = " ".join(filter(None, [why, body, message.link, choices]))
    elif offer:
        body += (
            f"\n\nTo go back to v{offer['version']}, text ROLLBACK and your PIN to the "
            "product's number, or use the object's Versions tab."
        )
    data: dict = {"link": message.link}
    if offer:
        data["rollback"] = offer
    if chosen == Channel.VOICE:
        data.update(twiml=alert_call_twiml(message.short, firing.id, offer), amd=True)
    notification = outbox.queue(
        session,
        channel=chosen,
        target=_target(owner, chosen),
        body=body,
        subject=message.subject,
        purpose=NotificationPurpose.ALERT,
        user_id=owner.id,
        monitor_id=monitor.id,
        event_id=(firing.event_ids or [None])[0],
        firing_id=firing.id,
        repeat=repeat,
        data=data,
    )
    silenced = monitor.silenced_until is not None and monitor.silenced_until > utcnow()
    if silenced:
        notification.status = NotificationStatus.SUPPRESSED
        notification.error = f"silenced until {monitor.silenced_until:%Y-%m-%d %H:%M} UTC"
        session.add(notification)
    return notification


# --- answers: acknowledge, pause, silence -------------------------------------------------------


def latest_firing(session: Session, user_id: int) -> MonitorFiring | None:
    """The person's newest firing that was sent and not acknowledged (what ACK answers)."""
    return session.exec(
        select(MonitorFiring)
        .join(Monitor, Monitor.id == MonitorFiring.monitor_id)
        .where(
            Monitor.owner_id == user_id,
            col(MonitorFiring.notified_at).is_not(None),
            col(MonitorFiring.acknowledged_at).is_(None),
        )
        .order_by(col(MonitorFiring.id).desc())
        .limit(1)
    ).first()


def rollback_offer(session: Session, user_id: int, *, firing_id: int | None = None) -> dict | None:
    """The newest rollback offered to the person by an alert (of firing `firing_id`, when
    given) that is still open: its firing not acknowledged, and sent within
    ROLLBACK_OFFER_HOURS. The offer plus "firing_id"; None when there is none."""
    since = utcnow() - timedelta(hours=get_settings().rollback_offer_hours)
    statement = (
        select(Notification)
        .join(MonitorFiring, MonitorFiring.id == Notification.firing_id)
        .where(
            Notification.user_id == user_id,
            Notification.purpose == NotificationPurpose.ALERT,
            col(Notification.created_at) >= since,
            col(MonitorFiring.acknowledged_at).is_(None),
        )
        .order_by(col(Notification.id).desc())
        .limit(20)
    )
    if firing_id is not None:
        statement = statement.where(Notification.firing_id == firing_id)
    for notification in session.exec(statement):
        offer = (notification.data or {}).get("rollback")
        if offer:
            return {**offer, "firing_id": notification.firing_id}
    return None


def answer(session: Session, firing_id: int, choice: str, *, actor: audit.Actor) -> str:
    """Acknowledge the firing ("ack"), and pause ("pause") or silence its monitor for an
    hour ("mute"); a sentence saying what was done. Repeats stop once acknowledged."""
    firing = session.get(MonitorFiring, firing_id)
    if firing is None:
        raise NotFound(f"no firing {firing_id}")
    monitor = monitors.get_monitor(session, firing.monitor_id)
    if choice == "pause":
        monitors.pause_in(session, monitor.id, actor=actor)
    elif choice == "mute":
        monitors.silence_in(session, monitor.id, minutes=60, actor=actor)
    elif choice != "ack":
        raise Conflict(f"unknown answer {choice!r}")
    changed = session.execute(
        update(MonitorFiring)
        .where(col(MonitorFiring.id) == firing_id, col(MonitorFiring.acknowledged_at).is_(None))
        .values(acknowledged_at=utcnow(), acknowledged_by=actor.name)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed:
        activity.record(
            session,
            actor,
            EventName.MONITOR_ACKNOWLEDGED,
            object_id=monitor.object_id,
            detail={"monitor_id": monitor.id, "firing_id": firing_id, "answer": choice},
        )
    # Which alert: a reply of ACK answers the newest one, and the person should hear which.
    which = f"monitor {monitor.id}'s alert: {firing.summary.strip().rstrip('.') or 'it fired'}"
    done = {
        "ack": f"Acknowledged {which}.",
        "pause": f"Acknowledged {which}. The monitor is paused.",
        "mute": f"Acknowledged {which}. The monitor is silenced for an hour.",
    }
    return done[choice]


def record_answered_by(session: Session, call_sid: str, answered_by: str) -> None:
    """Who answered an alert call (Twilio's answering-machine detection: human,
    machine_start, machine_end_beep, fax, unknown, ...)."""
    session.execute(
        update(Notification)
        .where(col(Notification.provider_id) == call_sid)
        .values(answered_by=answered_by[:32])
        .execution_options(synchronize_session=False)
    )
