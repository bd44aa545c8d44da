"""The worker's sweeper: a thread in the worker's main process that runs
`backend.background.jobs.sweep`.

Every JOB_SWEEP_SECONDS (and first when the worker is ready) it fails or hands out again the
jobs whose worker was lost, hands the broker again the jobs whose message it lost, hands it
the jobs that could not be published when they were scheduled, and fails the deployments
left `testing` by a job that ended (`backend.objects.deploy.fail_stranded`). Several workers
sweeping at once is safe (every step is a conditional UPDATE).
"""

from __future__ import annotations

import threading
from typing import Any

from celery.signals import worker_ready

import tasks.dispatch  # noqa: F401  (registers the runner the sweeper publishes through)
from backend.background import jobs
from backend.config import get_settings
from backend.objects import deploy
from tasks import periodic


def sweep_once() -> dict:
    """One round: the jobs, then the deployments their end left behind."""
    outcome = jobs.sweep()
    outcome["deployments_failed"] = deploy.fail_stranded()
    return outcome


def start() -> threading.Thread:
    """Start sweeping in a daemon thread (it ends with the process)."""
    return periodic.start(
        "job sweeper",
        sweep_once,
        lambda: get_settings().job_sweep_seconds,
        lambda outcome: any(outcome.values()),
    )


@worker_ready.connect
def _start_in_worker(**_: Any) -> None:
    """The worker's main process sweeps (the worker imports this module: `TASK_MODULES`)."""
    start()
