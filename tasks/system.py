"""System jobs: checks of the product's own health."""

from __future__ import annotations

from typing import Any

from backend.config import get_settings
from backend.db import database_status
from backend.enums import JobKind
from backend.errors import InvalidInput
from backend.models import utcnow
from tasks.base import Job, job_task


@job_task(JobKind.SYSTEM_CHECK, idempotent=True)
def check(job: Job) -> dict[str, Any]:
    """Record whether the database answers and which optional features are configured."""
    if job.params:
        raise InvalidInput(
            f"system.check takes no parameters, got: {', '.join(sorted(job.params))}"
        )
    job.progress(10, "checking the database")
    database = database_status()
    job.progress(60, "reading which features are configured")
    features = get_settings().features
    job.progress(90, "writing the report")
    return {"database": database, "features": features, "checked_at": utcnow().isoformat()}
