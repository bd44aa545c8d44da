"""Is this request really from Twilio? `X-Twilio-Signature`, checked against the public URL.

The URL is built from PUBLIC_BASE_URL plus the path and query Twilio requested, never from
the Host header or `X-Forwarded-*` (anyone can send those). The signature covers every form
parameter, repeated keys included. Without an auth token nothing is accepted (fail closed).
"""

from __future__ import annotations

from collections.abc import Iterable

from twilio.request_validator import RequestValidator

from backend.config import get_settings
from backend.urls import public_url


class _MultiDict(dict):
    """What RequestValidator needs to read repeated keys: a dict with `getall`."""

    def __init__(self, items: Iterable[tuple[str, str]]):
        super().__init__()
        self._items: dict[str, list[str]] = {}
        for key, value in items:
            self._items.setdefault(key, []).append(value)
            self[key] = value

    def getall(self, key: str) -> list[str]:
        return self._items.get(key, [])


def request_url(path: str, query: str) -> str:
    """The URL Twilio called, as it knows it."""
    return public_url(path) + (f"?{query}" if query else "")


def is_valid(path: str, query: str, items: Iterable[tuple[str, str]], signature: str) -> bool:
    """Whether `signature` signs this request (every form item) with our auth token."""
    token = get_settings().twilio_auth_token
    if not token or not signature:
        return False
    validator = RequestValidator(token)
    return bool(validator.validate(request_url(path, query), _MultiDict(items), signature))
