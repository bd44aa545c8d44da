"""The next channel: a result or an alert that could not go out one way goes out another way.

A notification that fails for good stays visible as failed, and the same text goes out again
as a new queued notification whose body opens by saying what it replaces, so nothing is
dropped silently:

- a call that failed becomes a text to the same number, and a text becomes a call;
- an email, a Slack message or a GitHub issue goes to the person by their next channel: their
  preferred one if it is another, else a text when their number is verified (a call when it
  opted out of texts), else an email.

Only results and alerts are sent again (a person asks for a new verification code), and
never a replacement, so two channels that both fail cannot call and text a person forever.
"""

from __future__ import annotations

from sqlmodel import Session

from backend.channels import outbox
from backend.channels.base import title_of
from backend.config import get_settings
from backend.enums import Channel, NotificationPurpose
from backend.models import Notification, User

PHONE_SWAP = {Channel.VOICE: Channel.SMS, Channel.SMS: Channel.VOICE}
#: What purposes a failed notification is sent again for.
REPLACED_PURPOSES = (NotificationPurpose.RESULT, NotificationPurpose.ALERT)
#: How a failure on each channel is told: what it was, and what became of it.
_FAILED = {
    Channel.VOICE: ("a call", "did not get through"),
    Channel.SMS: ("a text message to you", "could not be delivered"),
    Channel.EMAIL: ("an email to you", "could not be delivered"),
    Channel.SLACK: ("a Slack message to you", "could not be posted"),
    Channel.GITHUB: ("a GitHub issue", "could not be opened"),
}
#: What a replacement calls itself, by the channel it goes out on (a call says it instead).
_THIS = {
    Channel.SMS: "This text",
    Channel.EMAIL: "This email",
    Channel.SLACK: "This message",
    Channel.GITHUB: "This issue",
}
OPTED_OUT_OPENING = "You opted out of text messages, so I'm calling."


def opening(failed: Channel, channel: Channel) -> str:
    """How a replacement on `channel` of a notification that failed on `failed` opens, e.g.
    "This text replaces a call that did not get through:"."""
    what, became = _FAILED[failed]
    if channel == Channel.VOICE:
        return f"{what[0].upper()}{what[1:]} {became}, so I'm calling instead."
    return f"{_THIS[channel]} replaces {what} that {became}:"


def is_replacement(notification: Notification) -> bool:
    """Whether it was itself sent instead of another notification."""
    return (notification.data or {}).get("replaces") is not None


def reach(user: User, channel: Channel) -> str | None:
    """Where `user` gets messages on `channel`, or None when they can't be reached that way."""
    settings = get_settings()
    targets = {
        Channel.VOICE: user.phone,
        Channel.SMS: None if user.sms_opted_out else user.phone,
        Channel.EMAIL: user.email,
        Channel.SLACK: user.slack_id or settings.slack_channel.strip(),
        Channel.GITHUB: settings.github_repo.strip(),
    }
    return targets.get(channel) or None


def _phone_choice(user: User) -> Channel:
    """A text, or a call to a number that opted out of texts."""
    return Channel.VOICE if user.sms_opted_out else Channel.SMS


def _person_next(failed: Channel, user: User) -> tuple[Channel, str] | None:
    """The person's next channel after `failed`: preferred, else a verified phone, else
    email; never `failed` itself."""
    preferred = Channel(user.preferred_channel)
    candidates = [_phone_choice(user) if preferred == Channel.SMS else preferred]
    if user.phone and user.phone_verified:
        candidates.append(_phone_choice(user))
    candidates.append(Channel.EMAIL)
    for channel in candidates:
        target = reach(user, channel)
        if channel != failed and target:
            return channel, target
    return None


def next_step(notification: Notification, user: User | None) -> tuple[Channel, str] | None:
    """Where a notification that failed for good goes next, and to whom; None when nowhere.

    `user` is the person it was for (None when it was for nobody in particular, e.g. a
    team's channel: then only a call or text has a next channel, the same number).
    """
    if notification.purpose not in REPLACED_PURPOSES or is_replacement(notification):
        return None
    failed = Channel(notification.channel)
    if failed in PHONE_SWAP:
        return PHONE_SWAP[failed], notification.target
    if user is None or failed not in _FAILED:
        return None
    return _person_next(failed, user)


def next_channel(notification: Notification, user: User | None = None) -> Channel | None:
    """The channel of `next_step`, or None."""
    step = next_step(notification, user)
    return step[0] if step else None


def replace(
    session: Session,
    notification: Notification,
    channel: Channel,
    opening_text: str,
    target: str | None = None,
) -> Notification:
    """Queue the same text on `channel` (to `target`, by default the same one), opening with
    `opening_text`, in the caller's transaction; it keeps the original's title as subject."""
    data = {"replaces": notification.id}
    if (notification.data or {}).get("link"):
        data["link"] = notification.data["link"]
    return outbox.queue(
        session,
        channel=channel,
        target=notification.target if target is None else target,
        body=f"{opening_text} {notification.body}",
        purpose=NotificationPurpose(notification.purpose),
        user_id=notification.user_id,
        subject=notification.subject or title_of(notification),
        data=data,
        monitor_id=notification.monitor_id,
        event_id=notification.event_id,
        firing_id=notification.firing_id,
    )


def after_failure(session: Session, notification: Notification) -> Notification | None:
    """Queue the replacement of a notification that failed for good; None when none is due."""
    user = session.get(User, notification.user_id) if notification.user_id else None
    step = next_step(notification, user)
    if step is None:
        return None
    channel, target = step
    return replace(
        session, notification, channel, opening(Channel(notification.channel), channel), target
    )


def after_opt_out(session: Session, notification: Notification) -> Notification | None:
    """Call instead of texting a number that opted out of text messages (whatever the
    purpose: the person still wants the result or the code, just not by text), unless the
    text was itself a replacement (of a call that did not get through)."""
    if is_replacement(notification):
        return None
    return replace(session, notification, Channel.VOICE, OPTED_OUT_OPENING)
