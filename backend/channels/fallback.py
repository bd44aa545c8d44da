"""The next channel: a result that could not go out one way goes out the other way.

A person who asked for something by phone or SMS is waiting for its result; when the call
fails for good, the same text goes out as an SMS, and the other way round, as a new queued
notification whose body says what it replaces, so nothing is dropped silently.
"""

from __future__ import annotations

from sqlmodel import Session

from backend.channels import outbox
from backend.enums import Channel, NotificationPurpose
from backend.models import Notification

#: How a replacement opens, by the channel it goes out on.
_INSTEAD = {
    Channel.SMS: "This text replaces a call that did not get through:",
    Channel.VOICE: "A text message to you could not be delivered, so I'm calling instead.",
}
OPTED_OUT_OPENING = "You opted out of text messages, so I'm calling."


def is_replacement(notification: Notification) -> bool:
    """Whether it was itself sent instead of another notification."""
    return (notification.data or {}).get("replaces") is not None


def next_channel(notification: Notification) -> Channel | None:
    """Where a notification that failed for good goes next, or None.

    Only results are sent again (alerts and codes have their own retries: the monitor fires
    again, the person asks for a new code), and never a replacement, so two channels that both
    fail cannot call and text a person forever.
    """
    if notification.purpose != NotificationPurpose.RESULT or is_replacement(notification):
        return None
    return {Channel.VOICE: Channel.SMS, Channel.SMS: Channel.VOICE}.get(
        Channel(notification.channel)
    )


def replace(
    session: Session, notification: Notification, channel: Channel, opening: str
) -> Notification:
    """Queue the same text on `channel`, opening with `opening`, in the caller's transaction."""
    return outbox.queue(
        session,
        channel=channel,
        target=notification.target,
        body=f"{opening} {notification.body}",
        purpose=NotificationPurpose(notification.purpose),
        user_id=notification.user_id,
        subject=notification.subject,
        data={"replaces": notification.id},
        monitor_id=notification.monitor_id,
        event_id=notification.event_id,
    )


def after_failure(session: Session, notification: Notification) -> Notification | None:
    """Queue the replacement of a notification that failed for good; None when none is due."""
    channel = next_channel(notification)
    if channel is None:
        return None
    return replace(session, notification, channel, _INSTEAD[channel])


def after_opt_out(session: Session, notification: Notification) -> Notification | None:
    """Call instead of texting a number that opted out of text messages (whatever the
    purpose: the person still wants the result or the code, just not by text), unless the
    text was itself a replacement (of a call that did not get through)."""
    if is_replacement(notification):
        return None
    return replace(session, notification, Channel.VOICE, OPTED_OUT_OPENING)
