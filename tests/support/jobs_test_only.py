"""Jobs that exist only for tests/backend/background/test_jobs.py: a failure, a lost process, slow
jobs.

Never imported by the product: the test worker loads it through CELERY_IMPORTS.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from tasks.base import Job, job_task


@job_task("tests.raise")
def raise_error(job: Job) -> dict[str, Any]:
    """Report some progress, then raise the message it was given."""
    job.progress(40, "about to fail")
    raise RuntimeError(job.params["message"])


@job_task("tests.crash")
def crash(job: Job) -> dict[str, Any]:
    """End the pool process abruptly, as an out-of-memory kill would."""
    job.progress(20, "about to vanish")
    os._exit(3)


@job_task("tests.wait_for_file")
def wait_for_file(job: Job) -> dict[str, Any]:
    """Report 50 %, then wait (at most 10 s) until the test creates the file it names."""
    job.progress(50, "waiting for the go-ahead")
    path = Path(job.params["path"])
    _wait_for(path, 10)
    return {"seen": path.name}


def _wait_for(path: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear within {seconds:g} s")
        time.sleep(0.05)


@job_task("tests.hold", idempotent=True)
def hold(job: Job) -> dict[str, Any]:
    """Safe to repeat: note who runs it, report 50 %, wait (60 s at most) for the go-ahead."""
    with Path(job.params["runs"]).open("a") as runs:
        runs.write(f"{os.getpid()}\n")
    job.progress(50, "holding")
    _wait_for(Path(job.params["path"]), 60)
    return {"runs": len(Path(job.params["runs"]).read_text().split())}


@job_task("tests.hold_once")
def hold_once(job: Job) -> dict[str, Any]:
    """Not safe to repeat: like tests.hold, but a lost worker must fail it."""
    job.progress(50, "holding")
    _wait_for(Path(job.params["path"]), 60)
    return {}


@job_task("tests.record", idempotent=True)
def record(job: Job) -> dict[str, Any]:
    """Note that it ran (its task id, one line per run) in the file it names."""
    with Path(job.params["runs"]).open("a") as runs:
        runs.write(f"{job.task_id}\n")
    return {}
