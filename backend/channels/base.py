"""The one small interface every outgoing channel implements, and how a send can fail.

A sender turns a `Notification` row into one request to its vendor and returns the vendor's
id for it (a Twilio CallSid or MessageSid, an email's Message-ID, a Slack message's
"channel:ts", a GitHub issue's "owner/name#number"). It never writes to the database: recording
attempts, retries and the outcome on the row is `delivery`'s job, so every channel is
retried and recorded the same way.
"""

from __future__ import annotations

from typing import Protocol

from backend.enums import Channel
from backend.errors import ProductError
from backend.models import Notification

#: The longest vendor id a Notification row keeps (its `provider_id` column).
PROVIDER_ID_MAX_CHARS: int = Notification.__table__.c.provider_id.type.length


class ChannelNotConfigured(ProductError):
    """The channel's settings are missing; the message names the variables to set."""


class DeliveryFailure(Exception):
    """A send that did not go out; the message is the readable reason kept on the row."""


class PermanentFailure(DeliveryFailure):
    """The vendor refused the request (HTTP 4xx: an invalid number, an opted-out recipient);
    sending the same request again would fail the same way, so it is not retried."""


class TransientFailure(DeliveryFailure):
    """The vendor could not be reached or failed on its side (HTTP 5xx, a connection error, a
    timeout); the same request may well go through later, so it is retried."""


def title_of(notification: Notification) -> str:
    """A one-line title: the subject, else the body's first non-empty line (an email's
    Subject, a GitHub issue's title)."""
    if notification.subject.strip():
        return notification.subject.strip()
    lines = [line.strip() for line in notification.body.splitlines() if line.strip()]
    return lines[0] if lines else "(no subject)"


class Sender(Protocol):
    """Sends notifications of one channel."""

    channel: Channel

    def send(self, notification: Notification) -> str:
        """Send it; the vendor's id for it. Raises `PermanentFailure`, `TransientFailure` or
        `ChannelNotConfigured`."""
