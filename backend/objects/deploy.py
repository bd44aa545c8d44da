"""Deploying a version: load it in the sandbox, run its tests, then make it the live one.

A failed deployment is recorded with its log and changes nothing that is live: the object
keeps serving whatever version was deployed before.

There is one way to deploy: the `object.deploy` job, so every deployment has a Task row with
its progress (the Tasks page, `GET /api/manage/tasks/{id}`) and runs the same code. A door
asks with `request_deploy` (its own transaction); a backend service that deploys as part of
a larger change (approve-and-deploy, the phone) calls `schedule_deploy` in its transaction.
A worker runs the job (`run_deploy_job`); a door that waits for the outcome where no worker
may be running (the CLI) asks with `here=True` and runs that same job itself (`run_here`).

A deployment never stays `testing` after its job ended: when the job ended without
finishing it (its worker was killed, the job failed), `fail_stranded` (the worker's sweeper,
so also at a worker's start) fails the row with the job's reason in its log, as a failed
test run would; the object keeps serving its live version.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlmodel import Session, col, select

from backend.access import audit
from backend.access.permissions import Permission, require
from backend.background import jobs
from backend.db import session_scope
from backend.enums import (
    Channel,
    DeploymentStatus,
    EventName,
    JobKind,
    ObjectStatus,
    Role,
    TaskStatus,
)
from backend.errors import InvalidInput, ProductError
from backend.events import activity
from backend.models import Deployment, DurableObject, ObjectVersion, Task, User, utcnow
from backend.objects import files as object_files
from backend.objects import store
from backend.objects.status import ALLOWED, check_transition
from backend.pipeline.progress import Progress, no_progress
from backend.sandbox import limits_for, run_tests, smoke_import

logger = logging.getLogger(__name__)


def _live_deployment(session: Session, object_id: int) -> Deployment | None:
    return session.exec(
        select(Deployment).where(
            Deployment.object_id == object_id, Deployment.status == DeploymentStatus.LIVE
        )
    ).first()


def ensure_mirrored(slug: str, version: ObjectVersion) -> None:
    """Rewrite a version's files on disk if the mirror is missing (e.g. a new data folder)."""
    try:
        if object_files.read_version(slug, version.number) == version.files:
            return
    except FileNotFoundError:
        pass
    object_files.write_version(slug, version.number, version.files)


def _verify(
    slug: str, version: ObjectVersion, limits: dict, progress: Progress
) -> tuple[bool, list[str]]:
    """Smoke-import and run the version's tests in the sandbox; returns (passed, log lines)."""
    if version.syntax_error:
        return False, [f"syntax error: {version.syntax_error}"]
    ensure_mirrored(slug, version)
    code_dir = object_files.version_dir(slug, version.number)
    log: list[str] = []
    progress(20, f"loading v{version.number} in the sandbox")
    imported = smoke_import(code_dir, limits=limits_for(limits))
    if not imported.ok:
        return False, [f"import failed: {imported.describe()}"]
    log.append(f"import ok: functions {', '.join(imported.value or []) or '(none)'}")
    progress(50, f"running the tests of v{version.number}")
    report = run_tests(code_dir, limits=limits_for(limits))
    log.extend(report.lines())
    return report.passed, log


def _deploy(
    slug: str,
    *,
    actor: audit.Actor,
    number: int,
    superseded_status: DeploymentStatus,
    progress: Progress,
    task_id: int | None,
) -> Deployment:
    """The deploy job's work: test version `number`, then make it live; the Deployment row.

    `superseded_status` is what the previously live deployment becomes on success;
    `task_id` is the job running it. Only `run_deploy_job` calls this.
    """
    require(actor, Permission.DEPLOY)
    with session_scope() as session:
        obj = store.get_object(session, slug)
        version = store.get_version(session, slug, number)
        check_transition(obj.status, ObjectStatus.DEPLOYED)
        deployment = Deployment(
            object_id=obj.id,
            version_id=version.id,
            status=DeploymentStatus.TESTING,
            deployed_by=actor.name,
            task_id=task_id,
        )
        session.add(deployment)
        session.flush()
        deployment_id, object_id, limits = deployment.id, obj.id, dict(obj.limits)

    # The slow part runs outside any transaction, so the "testing" row is visible meanwhile.
    try:
        passed, log = _verify(slug, version, limits, progress)
    except Exception as exc:  # the sandbox itself failed: record it, never lose the request
        passed, log = False, [f"deployment could not run: {type(exc).__name__}: {exc}"]

    with session_scope() as session:
        obj = store.get_object(session, slug, for_update=True)
        deployment = session.get(Deployment, deployment_id)
        deployment.logs = "\n".join(log)
        deployment.finished_at = utcnow()
        if passed:
            detail = {"slug": slug, "version": version.number, "deployment_id": deployment_id}
            previous = _live_deployment(session, object_id)
            if previous is not None:
                previous.status = superseded_status
                session.add(previous)
            deployment.status = DeploymentStatus.LIVE
            obj.deployed_version = version.number
            store.set_status(session, slug, ObjectStatus.DEPLOYED, actor=actor)
            activity.record(
                session, actor, EventName.OBJECT_DEPLOYED, object_id=object_id, detail=detail
            )
        else:
            _record_failure(session, deployment, version.number, actor)
        session.add_all([deployment, obj])
    return deployment


def _record_failure(
    session: Session, deployment: Deployment, number: int, actor: audit.Actor
) -> None:
    """Mark the deployment failed (its log already says why) and record `deployment.failed`.

    Nothing live changes: an object with a deployed version keeps serving it; one that never
    had one becomes failed, where the status rules allow it.
    """
    obj = session.get(DurableObject, deployment.object_id)
    deployment.status = DeploymentStatus.FAILED
    deployment.finished_at = deployment.finished_at or utcnow()
    session.add(deployment)
    if obj.deployed_version is None and ObjectStatus.FAILED in ALLOWED[ObjectStatus(obj.status)]:
        store.set_status(session, obj.slug, ObjectStatus.FAILED, actor=actor)
    detail = {
        "slug": obj.slug,
        "version": number,
        "deployment_id": deployment.id,
        "log": deployment.logs[-2000:],
    }
    activity.record(session, actor, EventName.DEPLOYMENT_FAILED, object_id=obj.id, detail=detail)


def fail_stranded() -> list[int]:
    """Fail the deployments left `testing` by a job that ended; the ids failed.

    A job that ended (failed, or even succeeded) without finishing its deployment, e.g. its
    worker was killed mid-test and the sweeper failed the job with "worker lost", leaves the
    row `testing`; it becomes failed with the job's reason in its log, and whoever asked by
    phone or SMS is told. Run by the worker's sweeper, so at every worker start too.
    """
    with session_scope() as session:
        stranded = session.exec(
            select(Deployment.id)
            .join(Task, col(Task.id) == col(Deployment.task_id))
            .where(
                col(Deployment.status) == DeploymentStatus.TESTING,
                col(Task.status).in_([TaskStatus.SUCCEEDED, TaskStatus.FAILED]),
            )
            .order_by(col(Deployment.id))
        ).all()
    failed = []
    for deployment_id in stranded:
        deployment = _fail_stranded_one(int(deployment_id))
        if deployment is None:
            continue
        failed.append(int(deployment_id))
    return failed


def _fail_stranded_one(deployment_id: int) -> Deployment | None:
    """Fail one stranded deployment, if it is still testing; None when it moved on."""
    with session_scope() as session:
        deployment = session.get(Deployment, deployment_id, with_for_update=True)
        if deployment is None or deployment.status != DeploymentStatus.TESTING:
            return None
        task = session.get(Task, deployment.task_id)
        version = session.get(ObjectVersion, deployment.version_id)
        if task.status == TaskStatus.FAILED:
            why = f"the deploy job (task {task.id}) failed: {task.error}"
        else:
            why = f"the deploy job (task {task.id}) ended without finishing it"
        deployment.logs = "\n".join(filter(None, [deployment.logs, f"deployment failed: {why}"]))
        _record_failure(session, deployment, version.number, audit.SYSTEM)
        logger.warning("deployment %s failed: %s", deployment_id, why)
        return deployment


def schedule_deploy(
    session: Session,
    slug: str,
    *,
    actor: audit.Actor,
    number: int | None = None,
    superseded_status: DeploymentStatus = DeploymentStatus.SUPERSEDED,
    here: bool = False,
) -> Task:
    """Ask, in the caller's transaction, for version `number` (default: the current one) to
    be deployed by a job; the job's Task row.

    What can be refused is refused now (rights, an unknown version, a deprecated object);
    the job then deploys as the same person (`run_deploy_job`). `here=True`: the caller runs
    the job itself once its transaction committed (`run_here`); no worker takes it.
    """
    require(actor, Permission.DEPLOY)
    obj = store.get_object(session, slug)
    version = store.get_version(session, slug, number)
    check_transition(obj.status, ObjectStatus.DEPLOYED)
    by = {"name": actor.name, "channel": str(actor.channel), "user_id": actor.user_id}
    if actor.user_id is None:
        by["role"] = str(actor.role)
    params = {"slug": slug, "version": version.number, "by": by}
    if superseded_status != DeploymentStatus.SUPERSEDED:
        params["superseded_status"] = str(superseded_status)
    return jobs.schedule(session, JobKind.OBJECT_DEPLOY, params, here=here)


def schedule_rollback(
    session: Session,
    slug: str,
    number: int,
    *,
    actor: audit.Actor,
    here: bool = False,
    reason: str = "",
) -> Task:
    """Restore version `number` as a new version now (the store's rule), and ask for that
    to be deployed by a job, in the caller's transaction; `reason` is kept with it."""
    require(actor, Permission.DEPLOY)
    restored = store.rollback_in(session, slug, number, actor=actor, reason=reason)
    return schedule_deploy(
        session,
        slug,
        actor=actor,
        number=restored.number,
        superseded_status=DeploymentStatus.ROLLED_BACK,
        here=here,
    )


def request_deploy(
    slug: str,
    *,
    actor: audit.Actor,
    number: int | None = None,
    restore: bool = False,
    here: bool = False,
) -> Task:
    """The doors' one way to deploy: ask for the deploy job, in a transaction of its own.

    Deploys version `number` (default: the current one); with `restore`, version `number`
    is first restored as a new version, which is then deployed (a rollback). Returns the
    job's Task row, committed (and handed to a worker unless `here`, see `schedule_deploy`).
    """
    with session_scope() as session:
        if restore:
            if number is None:
                raise InvalidInput("say which version to roll back to")
            return schedule_rollback(session, slug, number, actor=actor, here=here)
        return schedule_deploy(session, slug, actor=actor, number=number, here=here)


def run_here(task_id: int, echo: Callable[[int, str], None] | None = None) -> Deployment:
    """Run a deploy job asked for with `here=True` in this process, as a worker would (the
    same job, the same Task row); its Deployment, live or failed.

    `echo(percent, message)` hears each progress report. A job that could not deploy at all
    (the person lost the right meanwhile, the version is gone) raises `ProductError`.
    """
    task = jobs.run_here(task_id, echo=echo)
    deployment = deployment_of(task)
    if deployment is None:
        raise ProductError(f"the deploy job (task {task_id}) failed: {task.error or task.status}")
    return deployment


def deployment_of(task: Task) -> Deployment | None:
    """The deployment a finished deploy job made; None while it runs or when it failed."""
    deployment_id = (task.result or {}).get("deployment_id")
    if task.status != TaskStatus.SUCCEEDED or deployment_id is None:
        return None
    with session_scope() as session:
        return session.get(Deployment, int(deployment_id))


def _actor_of(by: dict) -> audit.Actor:
    """Who asked for a deploy job: a person with the role their account has now (a demoted
    admin's job is refused), or the operator or system that asked."""
    if by.get("user_id") is None:
        return audit.Actor(name=by["name"], channel=Channel(by["channel"]), role=Role(by["role"]))
    with session_scope() as session:
        user = session.get(User, int(by["user_id"]))
        if user is None:
            raise ProductError(f"{by['name']} asked for this deployment but no longer exists")
        return audit.Actor.for_user(user, Channel(by["channel"]))


def run_deploy_job(
    params: dict, progress: Progress = no_progress, task_id: int | None = None
) -> Deployment:
    """The `object.deploy` job's work (see `schedule_deploy`), as task `task_id`. Whoever
    asked by phone or SMS is told how it went by the subscribers of the event it records
    (`object.deployed` or `deployment.failed`); the job's `by` says who that was."""
    deployment = _deploy(
        params["slug"],
        actor=_actor_of(params["by"]),
        number=int(params["version"]),
        superseded_status=DeploymentStatus(
            params.get("superseded_status", DeploymentStatus.SUPERSEDED)
        ),
        progress=progress,
        task_id=task_id,
    )
    return deployment


def list_deployments(session: Session, slug: str) -> list[Deployment]:
    obj = store.get_object(session, slug)
    return list(
        session.exec(
            select(Deployment).where(Deployment.object_id == obj.id).order_by(Deployment.id.desc())
        )
    )
