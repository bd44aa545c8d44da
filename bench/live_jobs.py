"""The job bench/live_latency.py watches: progress ticks at a steady pace, each one's commit
time written down, so the benchmark can tell how long each took to reach the browser.

Loaded by the benchmark's worker through CELERY_IMPORTS; never by the product.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from backend.background import jobs
from tasks.base import Job, job_task


@job_task("bench.progress_ticks")
def progress_ticks(job: Job) -> dict[str, Any]:
    """Report progress 1..ticks, `interval` seconds apart; log (progress, epoch seconds)."""
    ticks, interval = int(job.params["ticks"]), float(job.params["interval"])
    log = Path(job.params["log"])
    with log.open("a") as out:
        for tick in range(1, ticks + 1):
            time.sleep(interval)
            jobs.report_progress(job.task_id, tick, f"tick {tick}")
            # Taken right after the commit: what the browser can see from here on.
            out.write(json.dumps([tick, time.time()]) + "\n")
            out.flush()
    return {"ticks": ticks}
