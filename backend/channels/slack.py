"""Slack messages through the official client (`slack_sdk.WebClient`), and the channel check.

Every request goes to SLACK_API_BASE_URL (Slack itself unless it names a local mock). The
client's own retries are turned off: `delivery` retries every channel the same way.

Slack answers most refusals with HTTP 200 and {"ok": false, "error": "channel_not_found"};
those are final, except the few that say Slack is busy or failed (ratelimited, ...). HTTP
5xx, a timeout or no connection may pass later.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from backend.channels import checks
from backend.channels.base import ChannelNotConfigured, PermanentFailure, TransientFailure
from backend.config import Settings, get_settings
from backend.enums import Channel
from backend.models import Notification

#: Seconds to wait for Slack to answer one request when sending, and when checking.
REQUEST_TIMEOUT_SECONDS = 10
CHECK_TIMEOUT_SECONDS = 5
#: Slack's `error` values that say "try again later" although the request was fine.
RETRYABLE_ERRORS = frozenset(
    {"ratelimited", "rate_limited", "request_timeout", "service_unavailable", "fatal_error"}
)


def missing_settings(settings: Settings | None = None) -> list[str]:
    """The Slack variables that are not set (empty when Slack is configured)."""
    settings = settings or get_settings()
    values = {
        "SLACK_BOT_TOKEN": settings.slack_bot_token,
        "SLACK_API_BASE_URL": settings.slack_api_base_url,
    }
    return [name for name, value in values.items() if not value.strip()]


def make_client(
    settings: Settings | None = None, *, timeout: int = REQUEST_TIMEOUT_SECONDS
) -> WebClient:
    """A Slack Web API client with the bot token, sending to SLACK_API_BASE_URL.

    Raises `ChannelNotConfigured` naming the variables to set.
    """
    settings = settings or get_settings()
    missing = missing_settings(settings)
    if missing:
        raise ChannelNotConfigured(
            "Slack is not configured, so nothing can be posted to Slack: set " + ", ".join(missing)
        )
    return WebClient(
        token=settings.slack_bot_token.strip(),
        base_url=settings.slack_api_base_url.strip().rstrip("/") + "/",  # methods sit under it
        timeout=timeout,
        retry_handlers=[],
    )


def _reason(exc: SlackApiError) -> tuple[int, str]:
    """The HTTP status and Slack's `error` value of a refused request."""
    response = exc.response
    data = response.data if isinstance(response.data, dict) else {}
    return int(response.status_code), str(data.get("error") or "no reason given")


@contextmanager
def translated_errors(what: str) -> Iterator[None]:
    """Turn what slack_sdk raises into `PermanentFailure` or `TransientFailure`."""
    try:
        yield
    except SlackApiError as exc:
        status, error = _reason(exc)
        said = error if status == 200 else f"HTTP {status}: {error}"
        if status >= 500 or status == 429 or error in RETRYABLE_ERRORS:
            raise TransientFailure(f"Slack failed on {what}: {said}") from exc
        raise PermanentFailure(f"Slack refused {what}: {said}") from exc
    except SlackClientError as exc:  # a request the client itself can't make (a bad URL)
        raise PermanentFailure(f"Slack can't be asked for {what}: {exc}") from exc
    except OSError as exc:  # no connection, a timeout (urllib's errors are OSErrors)
        raise TransientFailure(
            f"Slack could not be reached for {what}: {type(exc).__name__}: {exc}"
        ) from exc


def provider_id(channel: str, ts: str) -> str:
    """A posted message's id: the channel's ID and the message's timestamp, "C123:1700.0001"."""
    return f"{channel}:{ts}"


class SlackSender:
    """Posts a notification to its target (a member or channel ID) or else SLACK_CHANNEL."""

    channel = Channel.SLACK

    def send(self, notification: Notification) -> str:
        """Post it; "channel:ts" of the message Slack made."""
        settings = get_settings()
        client = make_client(settings)
        where = notification.target.strip() or settings.slack_channel.strip()
        if not where:
            raise PermanentFailure(
                "the Slack message has nowhere to go: the person has no Slack member ID and "
                "SLACK_CHANNEL is not set"
            )
        data = notification.data or {}
        text = notification.body
        if data.get("link"):
            text = f"{text}\n<{data['link']}>"
        extra: dict[str, Any] = {"blocks": data["blocks"]} if data.get("blocks") else {}
        with translated_errors(f"the message to {where}"):
            response = client.chat_postMessage(channel=where, text=text, **extra)
        return provider_id(str(response.get("channel") or where), str(response["ts"]))


def _check(settings: Settings) -> dict[str, Any]:
    channel = settings.slack_channel.strip()
    if missing_settings(settings):
        return {"ok": False, "channel": channel, "error": "Slack is not configured"}
    if not channel:
        return {
            "ok": False,
            "channel": "",
            "error": "SLACK_CHANNEL is not set: only people with a Slack member ID of their "
            "own get Slack messages",
        }
    if channel.startswith("#"):  # conversations.info takes IDs only; a name is not checked
        return {"ok": True, "channel": channel, "name": channel[1:], "checked": False}
    client = make_client(settings, timeout=CHECK_TIMEOUT_SECONDS)
    try:
        with translated_errors(f"the channel {channel}"):
            answer = client.conversations_info(channel=channel)
    except (PermanentFailure, TransientFailure) as exc:
        return {"ok": False, "channel": channel, "error": str(exc)}
    info = answer.get("channel") or {}
    return {"ok": True, "channel": channel, "name": str(info.get("name") or ""), "checked": True}


def check_slack_channel() -> dict[str, Any]:
    """Whether SLACK_CHANNEL exists for the bot: {"ok", "channel", "name"?, "error"?,
    "checked"?}; one `conversations.info` per process (`checks.cached`), never raising."""
    settings = get_settings()
    key = ("slack", settings.slack_bot_token, settings.slack_api_base_url, settings.slack_channel)
    return checks.cached(key, lambda: _check(settings))
