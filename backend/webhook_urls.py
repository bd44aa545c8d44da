"""Where Twilio calls the product: one place for the webhook paths and their public URLs."""

from __future__ import annotations

from backend.config import get_settings

VOICE_PATH = "/webhooks/voice"
VOICE_COMMAND_PATH = "/webhooks/voice/command"
VOICE_STATUS_PATH = "/webhooks/voice/status"
SMS_PATH = "/webhooks/sms"
SMS_STATUS_PATH = "/webhooks/sms/status"


def public_url(path: str) -> str:
    """The URL the outside world reaches `path` at: PUBLIC_BASE_URL plus the path."""
    return get_settings().public_base_url.rstrip("/") + path


VOICE_PIN_PATH = "/webhooks/voice/pin"
VOICE_CONFIRM_PATH = "/webhooks/voice/confirm"
VOICE_MENU_PATH = "/webhooks/voice/menu"
