"""TwiML answers, always built with `twilio.twiml` so a person's words are escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlencode

from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Gather, VoiceResponse

from backend.config import get_settings
from backend.urls import VOICE_PIN_PATH, public_url

#: Words that help speech recognition hear a command (object names are added per call).
COMMAND_HINTS = (
    "call me,text me,email me,notify me,when,new user,signs up,payment fails,how many users,"
    "status,deploy,roll back,approve,reject,create,update,change,help"
)
#: Twilio's cap on the hints attribute is generous; keep it small and fast.
HINTS_MAX = 500


def url(path: str, **query: object) -> str:
    """The public URL of `path` with a query string (values that are None left out)."""
    pairs = {key: value for key, value in query.items() if value is not None}
    return public_url(path) + (f"?{urlencode(pairs)}" if pairs else "")


def _say(node: VoiceResponse | Gather, text: str) -> None:
    settings = get_settings()
    node.say(text, language=settings.voice_language)


def listen(prompt: str, action: str, *, hints: str = "", fallback: str = "") -> str:
    """Say `prompt` and listen for a spoken command posted to `action`.

    Silence posts an empty result to `action` too (`actionOnEmptyResult`); the verbs after
    the Gather are the fallback should that ever not happen.
    """
    settings = get_settings()
    response = VoiceResponse()
    gather = Gather(
        input="speech",
        action=action,
        method="POST",
        action_on_empty_result=True,
        speech_timeout="auto",
        speech_model=settings.voice_speech_model,
        language=settings.voice_language,
        hints=",".join(filter(None, [COMMAND_HINTS, hints]))[:HINTS_MAX],
    )
    _say(gather, prompt)
    response.append(gather)
    _say(response, fallback or "I didn't hear anything.")
    response.redirect(action, method="POST")
    return str(response)


def keypad(prompt: str, action: str, *, digits: int | None = None, fallback: str = "") -> str:
    """Say `prompt` and read keys: `digits` of them, or up to the pound key."""
    response = VoiceResponse()
    options: dict[str, object] = {"input": "dtmf", "action": action, "method": "POST"}
    options.update({"num_digits": digits} if digits else {"finish_on_key": "#", "timeout": 10})
    gather = Gather(**options)
    _say(gather, prompt)
    response.append(gather)
    _say(response, fallback or "I didn't get that. Goodbye.")
    response.hangup()
    return str(response)


def hold(text: str, then: str, *, seconds: int = 2) -> str:
    """Say `text` (if any), wait a moment, then come back to `then`."""
    response = VoiceResponse()
    if text:
        _say(response, text)
    response.pause(length=seconds)
    response.redirect(then, method="POST")
    return str(response)


def say_first(answer: str, text: str) -> str:
    """The TwiML `answer` with `text` said before anything else it does."""
    root = ET.fromstring(answer)
    say = ET.Element("Say", {"language": get_settings().voice_language})
    say.text = text  # escaped when written out, like twilio.twiml does
    root.insert(0, say)
    return '<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root, encoding="unicode")


def goodbye(text: str) -> str:
    """Say `text` and end the call."""
    response = VoiceResponse()
    _say(response, text)
    response.hangup()
    return str(response)


def message(text: str | None) -> str:
    """An SMS answer: one `<Message>`, or none at all."""
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response)


def approval_call(name: str, body: str, modification_id: int) -> str:
    """The TwiML of a call that reads a change waiting for approval and offers to decide it
    (PIN first, then 1 to approve, 2 to reject)."""
    response = VoiceResponse()
    _say(response, f"Hello {name.split()[0] if name else ''}. {body}")
    gather = Gather(
        input="dtmf",
        action=url(VOICE_PIN_PATH, decide=modification_id),
        method="POST",
        finish_on_key="#",
        timeout=10,
    )
    _say(gather, "To approve or reject it, enter your PIN, then press pound.")
    response.append(gather)
    _say(response, "I didn't get a PIN. You can decide in the web app. Goodbye.")
    response.hangup()
    return str(response)
