"""Monitoring in the worker: the dispatcher thread, and the schedule's check of metrics.

The dispatcher is a thread in the worker's main process (like the sweeper) that every
MONITOR_DISPATCH_SECONDS hands new events to their monitors, sends firings whose grouping
window closed and tries unanswered alert calls again (`backend.monitoring.dispatcher`).
Several workers doing it at once is safe: each event and each firing is claimed by a
conditional UPDATE. An event whose dispatch keeps failing is marked failed after
EVENT_DISPATCH_MAX_TRIES and the others go on; only a database that is away stops a round.
Metric monitors are also checked on a schedule, by Celery beat.
"""

from __future__ import annotations

import threading
from typing import Any

from celery.signals import worker_ready

import tasks.dispatch  # noqa: F401  (registers the runner notifications are sent through)
from backend.config import get_settings
from backend.monitoring import dispatcher
from tasks import periodic
from tasks.celery_app import celery_app


def start() -> threading.Thread:
    """Start dispatching in a daemon thread (it ends with the process)."""
    return periodic.start(
        "monitor dispatcher",
        dispatcher.run_once,
        lambda: get_settings().monitor_dispatch_seconds,
        lambda outcome: bool(outcome.get("sent") or outcome.get("repeated")),
    )


@worker_ready.connect
def _start_in_worker(**_: Any) -> None:
    """The worker's main process hands new events to the monitors."""
    start()


@celery_app.task(name="monitors.check_metrics", ignore_result=True)
def check_metrics() -> int:
    """Check every metric monitor now (beat's schedule); how many changed state."""
    return dispatcher.check_metrics()
