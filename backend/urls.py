"""The product's public addresses, in one place: the paths Twilio calls (the webhook routes serve
them, the settings page shows the full URLs to paste into Twilio's console) and `public_url`."""

from __future__ import annotations

from backend.config import get_settings

VOICE_PATH = "/webhooks/voice"
VOICE_COMMAND_PATH = "/webhooks/voice/command"
VOICE_STATUS_PATH = "/webhooks/voice/status"
SMS_PATH = "/webhooks/sms"
SMS_STATUS_PATH = "/webhooks/sms/status"
#: The later turns of a call, named by the product in its own TwiML.
VOICE_PIN_PATH = "/webhooks/voice/pin"
VOICE_CONFIRM_PATH = "/webhooks/voice/confirm"
VOICE_MENU_PATH = "/webhooks/voice/menu"

#: (where it goes in Twilio's console, path) for the URLs a person pastes there; the others
#: (the spoken command's answer, an SMS's status) are named by the product in its own calls.
CONSOLE_URLS = (
    ("A call comes in", VOICE_PATH),
    ("A message comes in", SMS_PATH),
    ("Call status changes", VOICE_STATUS_PATH),
)


def public_url(path: str) -> str:
    """`path` under PUBLIC_BASE_URL, the address the outside world reaches the product by."""
    return get_settings().public_base_url.rstrip("/") + "/" + path.lstrip("/")


def console_urls() -> list[dict[str, str]]:
    """What to paste where in Twilio's console: [{"label", "url"}]."""
    return [{"label": label, "url": public_url(path)} for label, path in CONSOLE_URLS]


VOICE_ALERT_PATH = "/webhooks/voice/alert"
VOICE_AMD_PATH = "/webhooks/voice/amd"
