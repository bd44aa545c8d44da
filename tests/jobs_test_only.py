"""Jobs that exist only for tests/test_jobs.py: a failure, a lost process, a slow job.

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
    deadline = time.monotonic() + 10
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear within 10 s")
        time.sleep(0.05)
    return {"seen": path.name}
