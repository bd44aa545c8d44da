"""Which sender sends each channel's notifications.

A sender's module brings its vendor's SDK (twilio, slack_sdk, PyGithub), the heaviest imports
of the product: it is imported the first time its channel sends, not by every process that
imports `delivery` (each door, to queue a notification), most of which never send one.
"""

from __future__ import annotations

from collections.abc import Callable

from backend.channels.base import Sender
from backend.enums import Channel
from backend.errors import ProductError


def _sms() -> Sender:
    from backend.channels.sms import SmsSender

    return SmsSender()


def _voice() -> Sender:
    from backend.channels.voice import VoiceSender

    return VoiceSender()


def _email() -> Sender:
    from backend.channels.email import EmailSender

    return EmailSender()


def _slack() -> Sender:
    from backend.channels.slack import SlackSender

    return SlackSender()


def _github() -> Sender:
    from backend.channels.github import GithubSender

    return GithubSender()


#: How each channel's sender is made (importing its module).
MAKERS: dict[Channel, Callable[[], Sender]] = {
    Channel.SMS: _sms,
    Channel.VOICE: _voice,
    Channel.EMAIL: _email,
    Channel.SLACK: _slack,
    Channel.GITHUB: _github,
}

#: One sender per channel, made when the channel first sends (a test may put its own here).
SENDERS: dict[Channel, Sender] = {}


def sender_for(channel: str) -> Sender:
    """The sender of `channel`; a `ProductError` for a channel nothing sends on."""
    try:
        sends_on = Channel(channel)
        make = MAKERS[sends_on]
    except (KeyError, ValueError):
        known = ", ".join(sorted(MAKERS))
        raise ProductError(f"no way to send on channel {channel!r}; known: {known}") from None
    if sends_on not in SENDERS:
        SENDERS[sends_on] = make()
    return SENDERS[sends_on]
