"""Whether the Celery broker answers, for /api/health and the logs.

The broker is Redis when REDIS_URL is set, else kombu's SQLAlchemy transport on a SQLite file
under DATA_DIR (the "embedded" broker, no server needed). The check runs in a daemon thread
with a hard deadline, so a broker that accepts the TCP connection and then says nothing (or
a host that drops packets) cannot hang a health request.
"""

from __future__ import annotations

import threading
from typing import Any

from kombu import Connection
from kombu.utils.url import maybe_sanitize_url
from sqlalchemy import text

from backend.config import get_settings

DEFAULT_TIMEOUT_SECONDS = 2.0
MAX_TIMEOUT_SECONDS = 3.0
_REDIS_SCHEMES = ("redis://", "rediss://", "redis+socket://")


def url_kind(url: str) -> str:
    """'redis' for a Redis URL, 'embedded' for the SQLite-backed broker."""
    return "redis" if url.startswith(_REDIS_SCHEMES) else "embedded"


def _probe(url: str, timeout: float) -> None:
    """Connect to the broker and make it answer one round trip; raises when it can't."""
    kind = url_kind(url)
    # The SQLAlchemy transport hands transport_options to create_engine, so only Redis
    # gets socket options.
    options: dict[str, Any] = (
        {"socket_timeout": timeout, "socket_connect_timeout": timeout, "max_retries": 0}
        if kind == "redis"
        else {}
    )
    with Connection(url, connect_timeout=timeout, transport_options=options) as connection:
        # Redis: establishing the channel sends PING. Embedded: creates the engine and the
        # kombu tables (what the worker does at start), then one query.
        connection.ensure_connection(max_retries=0, timeout=timeout)
        channel = connection.default_channel
        if kind == "embedded":
            session = channel.session
            try:
                session.execute(text("SELECT 1"))
            finally:
                session.close()


def _redact(message: str, url: str) -> str:
    """Remove the URL's password from an error message, should a driver quote it."""
    password = Connection(url).password
    if password:
        message = message.replace(password, "**")
    return message


def broker_status(url: str | None = None, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> dict:
    """Report whether the broker answers: {"url_kind", "url" (no password), "ok", "error"?}.

    Returns within `timeout` plus a little, and never later than MAX_TIMEOUT_SECONDS.
    """
    url = url or get_settings().broker_url
    timeout = min(timeout, MAX_TIMEOUT_SECONDS)
    status: dict[str, object] = {"url_kind": url_kind(url), "url": maybe_sanitize_url(url)}
    outcome: dict[str, BaseException | None] = {}

    def run() -> None:
        try:
            _probe(url, timeout)
            outcome["error"] = None
        except BaseException as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="broker-health", daemon=True)
    worker.start()
    worker.join(MAX_TIMEOUT_SECONDS)
    if "error" not in outcome:
        status.update(ok=False, error=f"no answer within {MAX_TIMEOUT_SECONDS:g} s")
    elif outcome["error"] is None:
        status["ok"] = True
    else:
        exc = outcome["error"]
        status.update(ok=False, error=_redact(f"{type(exc).__name__}: {exc}", url))
    return status
