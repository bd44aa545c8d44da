"""Pipeline jobs: thin wrappers that run a modification or creation and report progress."""

from __future__ import annotations

from typing import Any

from backend.enums import ModificationStatus
from backend.errors import ProductError
from backend.models import Modification
from backend.pipeline import modifications
from backend.pipeline.progress import Progress
from tasks.base import Job, job_task
from tasks.dispatch import enqueue

KIND = "modification.run"


def outcome(modification: Modification) -> dict[str, Any]:
    """The job's result; a failed modification fails the job with its reason."""
    if modification.status == ModificationStatus.FAILED:
        raise ProductError(modification.error or "the modification failed")
    return {
        "modification_id": modification.id,
        "status": modification.status,
        "attempts": modification.attempts,
        "note": modification.error or "",
    }


def run(job: Job, progress: Progress | None = None) -> dict[str, Any]:
    """Run the modification named in the job's params (the CLI's --wait calls this inline)."""
    modification_id = int(job.params["modification_id"])
    return outcome(modifications.run(modification_id, progress=progress or job.progress))


run_modification = job_task(KIND)(run)


def start(modification_id: int) -> int:
    """Run the modification in a worker; returns the job's Task id. When the job can't be
    handed over, the modification fails with the reason (nothing would ever run it) and the
    error is raised."""
    try:
        return enqueue(KIND, {"modification_id": modification_id})
    except ProductError as exc:
        modifications.fail(modification_id, f"could not start: {exc}")
        raise
