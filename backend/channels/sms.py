"""Text messages through Twilio."""

from __future__ import annotations

from collections.abc import Callable

from twilio.rest import Client

from backend.channels import twilio_client
from backend.config import get_settings
from backend.enums import Channel
from backend.models import Notification

#: Where Twilio reports how a message went (`notify.record_provider_status`).
STATUS_PATH = "/webhooks/sms/status"


class SmsSender:
    """Sends a notification's body as a text message to its target number."""

    channel = Channel.SMS

    def __init__(self, client_factory: Callable[[], Client] = twilio_client.make_client) -> None:
        self._client_factory = client_factory

    def send(self, notification: Notification) -> str:
        """Send it; Twilio's MessageSid."""
        settings = get_settings()
        client = self._client_factory()
        with twilio_client.translated_errors(client, "the text message"):
            message = client.messages.create(
                to=notification.target,
                from_=settings.twilio_phone_number,
                body=notification.body,
                status_callback=settings.public_base_url.rstrip("/") + STATUS_PATH,
            )
        return str(message.sid)
