"""A chore the worker's main process repeats in a daemon thread (the sweeper, the dispatcher).

One round at a time, then a pause of the settings' interval (read again before each pause, so
a changed setting counts from the next round). A round that raises is logged and the next one
comes all the same: the database may be away for a moment, and the chore must outlive that.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

Outcome = dict[str, Any]


def run_forever(
    name: str,
    round_once: Callable[[], Outcome],
    seconds: Callable[[], float],
    worth_saying: Callable[[Outcome], bool],
) -> None:
    """Run `round_once` every `seconds()` forever; log an outcome when `worth_saying` it."""
    while True:
        try:
            outcome = round_once()
        except Exception as exc:  # the database may be away for a moment; try again later
            logger.warning("%s: %s", name, exc)
        else:
            if worth_saying(outcome):
                logger.info("%s: %s", name, outcome)
        time.sleep(seconds())


def start(
    name: str,
    round_once: Callable[[], Outcome],
    seconds: Callable[[], float],
    worth_saying: Callable[[Outcome], bool],
) -> threading.Thread:
    """Start `run_forever` in a daemon thread named `name` (it ends with the process)."""
    thread = threading.Thread(
        target=run_forever,
        args=(name, round_once, seconds, worth_saying),
        name=name.replace(" ", "-"),
        daemon=True,
    )
    thread.start()
    return thread
