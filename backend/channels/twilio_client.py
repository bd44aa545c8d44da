"""The official Twilio client, built from settings, and Twilio errors turned into ours.

Every request goes to TWILIO_API_BASE_URL (Twilio itself unless it names a local mock): the
supported hook is the client's http client, here a `TwilioHttpClient` that rewrites Twilio's
host to the configured base URL.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from backend.channels.base import ChannelNotConfigured, PermanentFailure, TransientFailure
from backend.config import Settings, get_settings

logger = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
#: Seconds to wait for Twilio to connect and to answer one request.
REQUEST_TIMEOUT_SECONDS = 15.0
#: Twilio's error code for a recipient who replied STOP.
OPTED_OUT_CODE = 21610
#: HTTP statuses that say "try again later" although they are 4xx.
RETRYABLE_4XX = (408, 429)


class BaseUrlHttpClient(TwilioHttpClient):
    """Sends Twilio's requests to `base_url` instead of https://api.twilio.com.

    Keeps the last response (`last_response`) so an error can quote what the server said:
    the library's exception keeps only a generic message for some error bodies.
    """

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        kwargs.setdefault("timeout", REQUEST_TIMEOUT_SECONDS)
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")
        self.last_response: Response | None = None

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        """The library's request, to the configured base URL."""
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        self.last_response = None
        self.last_response = super().request(method, url, *args, **kwargs)
        return self.last_response


def missing_settings(settings: Settings | None = None) -> list[str]:
    """The Twilio variables that are not set (empty when Twilio is configured)."""
    settings = settings or get_settings()
    values = {
        "TWILIO_ACCOUNT_SID": settings.twilio_account_sid,
        "TWILIO_AUTH_TOKEN": settings.twilio_auth_token,
        "TWILIO_PHONE_NUMBER": settings.twilio_phone_number,
        "TWILIO_API_BASE_URL": settings.twilio_api_base_url,
    }
    return [name for name, value in values.items() if not value.strip()]


def make_client(
    settings: Settings | None = None, *, http_client: TwilioHttpClient | None = None
) -> Client:
    """A Twilio client for the configured account, sending to TWILIO_API_BASE_URL.

    `http_client`: a `BaseUrlHttpClient` of the caller's (tests wrap one to see what was
    sent). Raises `ChannelNotConfigured` naming the variables to set.
    """
    settings = settings or get_settings()
    missing = missing_settings(settings)
    if missing:
        raise ChannelNotConfigured(
            "Twilio is not configured, so no call or text message can be sent: set "
            + ", ".join(missing)
        )
    sid = settings.twilio_account_sid.strip()
    return Client(
        sid,
        settings.twilio_auth_token.strip(),
        http_client=http_client or BaseUrlHttpClient(settings.twilio_api_base_url),
        # Settings are the one source: without this the library also reads TWILIO_EDGE and
        # TWILIO_REGION from the process environment and would send elsewhere.
        environment={"TWILIO_ACCOUNT_SID": sid},
    )


def _server_said(client: Client, status: int) -> str:
    """What the server's error body explains, when the library's exception dropped it."""
    response = getattr(client.http_client, "last_response", None)
    if response is None or response.status_code != status:
        return ""
    try:
        body = json.loads(response.text)
    except ValueError:
        return response.text.strip()[:300]
    if not isinstance(body, dict):
        return ""
    parts = [str(body[key]) for key in ("message", "detail") if body.get(key)]
    parts += [
        str(item.get("message")) for item in body.get("validation") or [] if isinstance(item, dict)
    ]
    return "; ".join(parts)


def _reason(exc: TwilioRestException | TwilioServiceException, client: Client) -> str:
    """A readable reason: HTTP status, Twilio's error code and message."""
    status = int(exc.status)
    code = f", Twilio error {exc.code}" if exc.code and exc.code != status else ""
    if isinstance(exc, TwilioServiceException):
        message = "; ".join(str(part) for part in (exc.title, exc.detail) if part)
    else:
        message = str(exc.msg)
    said = _server_said(client, status)
    if said and said not in message:
        message = f"{message}: {said}" if message else said
    return f"HTTP {status}{code}: {message or 'no reason given'}"


@contextmanager
def translated_errors(client: Client, what: str) -> Iterator[None]:
    """Turn what the Twilio library raises into `PermanentFailure` or `TransientFailure`.

    `what` names the request for the reason ("the text message", "the call").
    """
    try:
        yield
    except (TwilioRestException, TwilioServiceException) as exc:
        status = int(exc.status)
        if status >= 500 or status in RETRYABLE_4XX:
            raise TransientFailure(f"Twilio failed on {what}: {_reason(exc, client)}") from exc
        raise PermanentFailure(f"Twilio refused {what}: {_reason(exc, client)}") from exc
    except requests.Timeout as exc:
        raise TransientFailure(f"Twilio did not answer in time for {what}: {exc}") from exc
    except requests.RequestException as exc:
        raise TransientFailure(f"Twilio could not be reached for {what}: {exc}") from exc
