"""Phone calls through Twilio: the notification's TwiML, or its body spoken."""

from __future__ import annotations

from collections.abc import Callable

from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from backend.channels import twilio_client
from backend.channels.base import PermanentFailure
from backend.config import get_settings
from backend.enums import Channel
from backend.models import Notification
from backend.urls import VOICE_AMD_PATH, public_url

#: Where Twilio reports how a call went (`notify.record_provider_status`).
STATUS_PATH = "/webhooks/voice/status"
#: Without the list Twilio reports only "completed".
STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]
#: Twilio refuses a call whose `twiml` parameter is longer than this.
TWIML_MAX_CHARS = 4000
SHORTENED = " ... The message was too long to read out in full."


def _said(text: str, language: str) -> str:
    response = VoiceResponse()
    response.say(text, language=language)
    return str(response)


def _shortened(text: str, keep: int) -> str:
    """The first `keep` characters of `text`, cut back to a word, with a note."""
    cut = text[:keep]
    if " " in cut and not text[keep : keep + 1].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + SHORTENED


def spoken_twiml(text: str, language: str, limit: int = TWIML_MAX_CHARS) -> str:
    """TwiML that says `text`, shortened (at a word, with a note) to fit in `limit` characters.

    Escaping makes the text longer inside the XML than outside, so the longest prefix that
    fits is found by bisection on the finished document.
    """
    twiml = _said(text, language)
    if len(twiml) <= limit:
        return twiml
    fits, too_long = 0, len(text)
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        if len(_said(_shortened(text, middle), language)) <= limit:
            fits = middle
        else:
            too_long = middle
    twiml = _said(_shortened(text, fits), language)
    if len(twiml) > limit:
        raise PermanentFailure(f"not even a shortened message fits in {limit} characters of TwiML")
    return twiml


class VoiceSender:
    """Calls a notification's target number and plays its TwiML or says its body."""

    channel = Channel.VOICE

    def __init__(self, client_factory: Callable[[], Client] = twilio_client.make_client) -> None:
        self._client_factory = client_factory

    def twiml(self, notification: Notification) -> str:
        """What the call plays: `data["twiml"]` when given (never cut: cutting XML breaks
        it), else the body spoken in VOICE_LANGUAGE."""
        given = (notification.data or {}).get("twiml")
        if given:
            if len(given) > TWIML_MAX_CHARS:
                raise PermanentFailure(
                    f"the call's TwiML is {len(given)} characters; Twilio accepts at most "
                    f"{TWIML_MAX_CHARS}"
                )
            return str(given)
        return spoken_twiml(notification.body, get_settings().voice_language)

    def send(self, notification: Notification) -> str:
        """Place the call; Twilio's CallSid."""
        settings = get_settings()
        twiml = self.twiml(notification)
        client = self._client_factory()
        # An alert asks who answered (answering-machine detection), without dead air: the
        # verdict arrives later, so voicemail is told apart from a person.
        detection = (
            {
                "machine_detection": "Enable",
                "async_amd": "true",
                "async_amd_status_callback": public_url(VOICE_AMD_PATH),
                "async_amd_status_callback_method": "POST",
            }
            if (notification.data or {}).get("amd")
            else {}
        )
        with twilio_client.translated_errors(client, "the call"):
            call = client.calls.create(
                to=notification.target,
                from_=settings.twilio_phone_number,
                twiml=twiml,
                status_callback=settings.public_base_url.rstrip("/") + STATUS_PATH,
                status_callback_event=STATUS_EVENTS,
                status_callback_method="POST",
                **detection,
            )
        return str(call.sid)
