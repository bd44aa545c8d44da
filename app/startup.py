"""Work the web app does once at start-up."""

from __future__ import annotations

import asyncio
import logging

from backend.sandbox import sandbox_status

logger = logging.getLogger("app.startup")


async def log_sandbox_tier() -> None:
    """Probe the sandbox now (not on the first call) and say which tier objects run in."""
    status = await asyncio.to_thread(sandbox_status)
    level = logging.INFO if status["safe"] else logging.WARNING
    logger.log(level, "sandbox: %s", status["message"])
