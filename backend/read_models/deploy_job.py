"""A deploy job as the object page follows it (see `backend.objects.deploy.schedule_deploy`)."""

from __future__ import annotations

import dataclasses

from backend.background import jobs
from backend.db import session_scope
from backend.enums import TaskStatus
from backend.models import Deployment


@dataclasses.dataclass
class DeployJob:
    """Running (with progress), or how it ended: the deployment's status and its log."""

    finished: bool = False
    progress: int = 0
    message: str = ""
    error: str = ""  # why the job itself failed (a refusal, a lost worker)
    status: str = ""  # the deployment's: live or failed
    log: str = ""


def read_deploy_job(task_id: int) -> DeployJob:
    with session_scope() as session:
        task = jobs.get_task(session, task_id)
        if task.status not in jobs.FINISHED_STATUSES:
            return DeployJob(progress=task.progress, message=task.message)
        if task.status == TaskStatus.FAILED:
            return DeployJob(finished=True, progress=task.progress, error=task.error or "")
        deployment = session.get(Deployment, int((task.result or {}).get("deployment_id", 0)))
        if deployment is None:
            return DeployJob(finished=True, error="the deployment's record was not found")
        return DeployJob(
            finished=True, progress=100, status=str(deployment.status), log=deployment.logs
        )
