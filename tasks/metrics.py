"""The worker's call-metrics chore: a thread in the worker's main process that runs
`backend.metrics.rollup.roll_up` every METRICS_ROLLUP_SECONDS (and first when the worker is
ready): minutes past METRICS_MINUTES_KEEP_HOURS become hours, hours past
METRICS_HOURS_KEEP_DAYS are deleted. Several workers rolling up at once is safe (each minute
is claimed by one `DELETE ... RETURNING`).
"""

from __future__ import annotations

import threading
from typing import Any

from celery.signals import worker_ready

from backend.config import get_settings
from backend.metrics import rollup
from tasks import periodic


def start() -> threading.Thread:
    """Start rolling up in a daemon thread (it ends with the process)."""
    return periodic.start(
        "call metrics rollup",
        rollup.roll_up,
        lambda: get_settings().metrics_rollup_seconds,
        lambda outcome: any(outcome.values()),
    )


@worker_ready.connect
def _start_in_worker(**_: Any) -> None:
    """The worker's main process rolls up (the worker imports this module: `TASK_MODULES`)."""
    start()
