"""Which sender sends each channel's notifications."""

from __future__ import annotations

from backend.channels.base import Sender
from backend.channels.email import EmailSender
from backend.channels.github import GithubSender
from backend.channels.slack import SlackSender
from backend.channels.sms import SmsSender
from backend.channels.voice import VoiceSender
from backend.enums import Channel
from backend.errors import ProductError

#: One sender per channel.
SENDERS: dict[Channel, Sender] = {
    Channel.SMS: SmsSender(),
    Channel.VOICE: VoiceSender(),
    Channel.EMAIL: EmailSender(),
    Channel.SLACK: SlackSender(),
    Channel.GITHUB: GithubSender(),
}


def sender_for(channel: str) -> Sender:
    """The sender of `channel`; a `ProductError` for a channel nothing sends on."""
    try:
        return SENDERS[Channel(channel)]
    except (KeyError, ValueError):
        known = ", ".join(sorted(SENDERS))
        raise ProductError(f"no way to send on channel {channel!r}; known: {known}") from None
