"""The worker's sweeper: a thread in the worker's main process that runs `backend.jobs.sweep`.

Every JOB_SWEEP_SECONDS (and first when the worker is ready) it fails or hands out again the
jobs whose worker was lost, hands the broker again the jobs whose message it lost, hands it
the jobs that could not be published when they were scheduled, and fails the deployments
left `testing` by a job that ended (`backend.objects.deploy.fail_stranded`). Several workers
sweeping at once is safe (every step is a conditional UPDATE).
"""

from __future__ import annotations

import logging
import threading
import time

import tasks.dispatch  # noqa: F401  (registers the runner the sweeper publishes through)
from backend import jobs
from backend.config import get_settings
from backend.objects import deploy

logger = logging.getLogger(__name__)


def sweep_once() -> dict:
    """One round: the jobs, then the deployments their end left behind."""
    outcome = jobs.sweep()
    outcome["deployments_failed"] = deploy.fail_stranded()
    return outcome


def _loop() -> None:
    while True:
        try:
            outcome = sweep_once()
        except Exception as exc:  # the database may be away for a moment; try again later
            logger.warning("job sweeper: %s", exc)
        else:
            if any(outcome.values()):
                logger.info("job sweeper: %s", outcome)
        time.sleep(get_settings().job_sweep_seconds)


def start() -> threading.Thread:
    """Start sweeping in a daemon thread (it ends with the process)."""
    thread = threading.Thread(target=_loop, name="job-sweeper", daemon=True)
    thread.start()
    return thread
