"""Pipeline jobs: thin wrappers that run a modification or creation, evaluate a version, or
deploy one."""

from __future__ import annotations

from typing import Any

from backend.enums import JobKind, ModificationStatus
from backend.errors import ProductError
from backend.models import Modification
from backend.objects import deploy
from backend.pipeline import modifications, review
from tasks.base import Job, job_task

#: How much of a deployment's log (its end) the deploy job's result keeps, for API clients
#: that follow the job (`GET /api/manage/tasks/{id}`); the Deployment row keeps all of it.
DEPLOY_LOG_IN_RESULT = 4000


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


# Safe to run again after a lost worker: the run carries on from the attempts recorded.
@job_task(JobKind.MODIFICATION_RUN, idempotent=True)
def run_modification(job: Job) -> dict[str, Any]:
    """Run the modification named in the job's params."""
    return outcome(modifications.run(int(job.params["modification_id"]), progress=job.progress))


# Safe to run again: an evaluation only adds its own Evaluation row.
@job_task(JobKind.VERSION_EVALUATE, idempotent=True)
def evaluate_version(job: Job) -> dict[str, Any]:
    """Score a saved version against its parent, with the intent it was saved with."""
    assessment, evaluation = review.evaluate_version(
        job.params["slug"], int(job.params["version"]), progress=job.progress
    )
    return {"evaluation_id": evaluation.id, **assessment.to_dict()}


# Not safe to repeat blindly: a lost worker is failed, and so is the "testing" deployment row
# it leaves behind (`deploy.fail_stranded`, which finds it by the task id it carries).
@job_task(JobKind.OBJECT_DEPLOY)
def deploy_version(job: Job) -> dict[str, Any]:
    """Deploy the version named in the job's params; a deployment whose tests fail is a
    result (its status and log, the log's end here), not a failed job."""
    deployment = deploy.run_deploy_job(job.params, progress=job.progress, task_id=job.task_id)
    return {
        "deployment_id": deployment.id,
        "slug": job.params["slug"],
        "version": int(job.params["version"]),
        "status": str(deployment.status),
        "logs": deployment.logs[-DEPLOY_LOG_IN_RESULT:],
    }
