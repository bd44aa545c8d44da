"""Checks that a vendor's settings work, for the settings page: cheap, and never raising.

A check is one request to the vendor. A result that says the settings work is kept for the
life of the process (they can only change with a restart); a failed one is asked again after
`RECHECK_FAILED_SECONDS`, so a vendor that was down is seen back without a restart, yet a
page reloaded in a loop doesn't call a vendor that is down at every load.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

logger = logging.getLogger(__name__)

RECHECK_FAILED_SECONDS = 60.0

_lock = threading.Lock()
_results: dict[Hashable, tuple[float, dict[str, Any]]] = {}


def cached(key: Hashable, check: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """`check()`'s result for `key` (the settings it depends on), asked once per process.

    A check that raises is reported as {"ok": False, "error": ...}: a vendor being down
    must never break the page that shows it.
    """
    with _lock:
        kept = _results.get(key)
        if kept is not None and (kept[1].get("ok") or time.monotonic() < kept[0]):
            return dict(kept[1])
    try:
        result = check()
    except Exception as exc:
        logger.warning("settings check %r failed", key, exc_info=True)
        result = {"ok": False, "error": f"the check failed: {type(exc).__name__}: {exc}"}
    with _lock:
        _results[key] = (time.monotonic() + RECHECK_FAILED_SECONDS, result)
    return dict(result)


def clear() -> None:
    """Forget every result (tests, or after settings changed in the process)."""
    with _lock:
        _results.clear()
