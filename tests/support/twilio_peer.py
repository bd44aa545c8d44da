"""Playing Twilio's part against the product's webhooks, with the real `twilio` signer.

`TwilioPeer` posts form requests signed with `RequestValidator.compute_signature` over the
public URL (PUBLIC_BASE_URL plus path and query), the way Twilio does, and `CallReplay`
follows a call's TwiML: it reads each answer, speaks or presses keys into its `<Gather>`,
follows a `<Redirect>`, and stops at `<Hangup>`.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from backend.config import get_settings

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
OUR_NUMBER = "+15550009999"
PUBLIC_BASE = "https://dobj.example.test"


def twilio_environment(monkeypatch) -> None:
    """Settings for a configured Twilio account whose webhooks are at PUBLIC_BASE."""
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("TWILIO_PHONE_NUMBER", OUR_NUMBER)
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC_BASE)


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


@dataclass
class TwilioPeer:
    client: TestClient

    def post(
        self,
        path: str,
        params: dict[str, str],
        *,
        signature: str | None = None,
        signed_url: str | None = None,
    ):
        """POST `params` to `path` (may hold a query), signed for the public URL unless a
        `signature` (or the URL to sign instead) is given."""
        url = signed_url or get_settings().public_base_url.rstrip("/") + path
        headers = {"X-Twilio-Signature": signature if signature is not None else sign(url, params)}
        return self.client.post(path, data=params, headers=headers)

    def sms(self, sender: str, body: str, *, sid: str | None = None):
        params = {
            "MessageSid": sid or "SM" + uuid.uuid4().hex,
            "AccountSid": ACCOUNT_SID,
            "From": sender,
            "To": OUR_NUMBER,
            "Body": body,
        }
        return self.post("/webhooks/sms", params)


@dataclass
class Turn:
    """One TwiML answer as the caller hears it."""

    said: list[str]
    gather: dict[str, str] | None
    redirect: str | None
    hangup: bool
    xml: str


def read(twiml: str) -> Turn:
    """What the caller hears before they answer (the Says up to and inside the Gather; all of
    them when there is none), and where the call goes next."""
    root = ET.fromstring(twiml)
    said: list[str] = []
    for node in root:
        if node.tag == "Say":
            said.append(node.text or "")
        elif node.tag == "Gather":
            said.extend(child.text or "" for child in node.iter("Say"))
            break
    gather = root.find("Gather")
    redirect = root.find("Redirect")
    return Turn(
        said=said,
        gather=dict(gather.attrib) if gather is not None else None,
        redirect=redirect.text if redirect is not None else None,
        hangup=root.find("Hangup") is not None,
        xml=twiml,
    )


def path_of(url: str) -> str:
    """The path and query of an absolute URL the product put in its TwiML."""
    parts = urlsplit(url)
    assert url.startswith(get_settings().public_base_url), url
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class CallReplay:
    """A call from `caller`, driven turn by turn like Twilio would."""

    peer: TwilioPeer
    caller: str
    sid: str = field(default_factory=lambda: "CA" + uuid.uuid4().hex)
    extra: dict[str, str] = field(default_factory=dict)
    outbound: bool = False
    turns: list[Turn] = field(default_factory=list)

    def _params(self, **more: str) -> dict[str, str]:
        base = {"CallSid": self.sid, "AccountSid": ACCOUNT_SID, "CallStatus": "in-progress"}
        if self.outbound:
            base.update({"From": OUR_NUMBER, "To": self.caller, "Direction": "outbound-api"})
        else:
            base.update({"From": self.caller, "To": OUR_NUMBER, "Direction": "inbound"})
        return {**base, **self.extra, **more}

    def _take(self, response) -> Turn:
        assert response.status_code == 200, (response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/xml")
        turn = read(response.text)
        self.turns.append(turn)
        return turn

    def dial(self) -> Turn:
        return self._take(self.peer.post("/webhooks/voice", self._params(CallStatus="ringing")))

    def start_from(self, twiml: str) -> Turn:
        """An outbound call: Twilio plays the TwiML the product sent with calls.create."""
        turn = read(twiml)
        self.turns.append(turn)
        return turn

    @property
    def last(self) -> Turn:
        return self.turns[-1]

    def say(self, words: str, confidence: str = "0.93") -> Turn:
        """Speak into the current Gather (words '' is silence)."""
        gather = self.last.gather
        assert gather is not None and "speech" in gather["input"], self.last.xml
        params = (
            self._params(SpeechResult=words, Confidence=confidence) if words else self._params()
        )
        return self._take(self.peer.post(path_of(gather["action"]), params))

    def press(self, digits: str) -> Turn:
        gather = self.last.gather
        assert gather is not None and "dtmf" in gather["input"], self.last.xml
        return self._take(self.peer.post(path_of(gather["action"]), self._params(Digits=digits)))

    def follow_redirect(self) -> Turn:
        assert self.last.redirect, self.last.xml
        return self._take(self.peer.post(path_of(self.last.redirect), self._params()))

    def text(self) -> str:
        return " ".join(self.last.said)
