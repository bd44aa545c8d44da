"""Deploying as a job (`object.deploy`, what the object page asks for): refused up front when
it can't be done, else run by a worker as the person who asked, with progress on its Task
row; a deployment whose tests fail is the job's result, not its failure."""

from __future__ import annotations

import pytest
from sqlmodel import select

from backend import db
from backend.access.audit import Actor
from backend.access.permissions import PermissionDenied
from backend.accounts import users
from backend.background import jobs
from backend.enums import Channel, DeploymentStatus, JobKind, TaskStatus
from backend.errors import InvalidInput, NotFound, ProductError
from backend.models import Deployment
from backend.objects import deploy, store
from backend.read_models.deploy_job import read_deploy_job
from tests.support.llm_scenarios import MAIN, TESTS

FAILING = "from main import add\n\n\ndef test_add():\n    assert add(2, 2) == 5\n"


def _setup() -> tuple[Actor, Actor]:
    with db.session_scope() as session:
        ada = users.add_user_in(session, name="Ada", email="ada@example.com", is_admin=True)
        bob = users.add_user_in(session, name="Bob", email="bob@example.com")
        store.create_object_in(
            session,
            slug="calc",
            name="Calc",
            files={"main.py": MAIN, "test_main.py": TESTS},
            actor=Actor.operator("ops"),
        )
        return Actor.for_user(ada, Channel.WEB), Actor.for_user(bob, Channel.WEB)


def _schedule(actor: Actor, number: int | None = None) -> int:
    with db.session_scope() as session:
        return int(deploy.schedule_deploy(session, "calc", actor=actor, number=number).id)


def test_a_deploy_job_runs_as_who_asked_and_reports_progress(migrated_db):
    ada, _ = _setup()
    task_id = _schedule(ada)
    with db.session_scope() as session:
        task = jobs.get_task(session, task_id)
        assert (task.kind, task.status) == (JobKind.OBJECT_DEPLOY, TaskStatus.PENDING)
        assert task.params["version"] == 1 and task.params["by"]["user_id"] == ada.user_id
    assert read_deploy_job(task_id).finished is False

    seen: list[str] = []
    done = jobs.run_here(task_id, echo=lambda _percent, message: seen.append(message))
    assert done.status == TaskStatus.SUCCEEDED
    assert done.result["status"] == DeploymentStatus.LIVE
    assert seen == ["loading v1 in the sandbox", "running the tests of v1"]
    job = read_deploy_job(task_id)
    assert (job.finished, job.status, job.error) == (True, "live", "")
    with db.session_scope() as session:
        assert store.get_object(session, "calc").deployed_version == 1
        deployment = session.exec(select(Deployment)).one()
        assert deployment.deployed_by == "ada@example.com"


def test_failing_tests_are_the_jobs_result_and_v1_keeps_serving(migrated_db):
    ada, _ = _setup()
    jobs.run_here(_schedule(ada))
    with db.session_scope() as session:
        store.edit_object(
            session, "calc", files={"main.py": MAIN, "test_main.py": FAILING}, actor=ada
        )
    task_id = _schedule(ada)
    assert jobs.run_here(task_id).status == TaskStatus.SUCCEEDED
    job = read_deploy_job(task_id)
    assert job.status == "failed" and "test_add" in job.log
    with db.session_scope() as session:
        assert store.get_object(session, "calc").deployed_version == 1


def test_what_cant_be_deployed_is_refused_before_any_job(migrated_db):
    ada, bob = _setup()
    with pytest.raises(PermissionDenied, match="Only an admin can deploy objects"):
        _schedule(bob)
    with pytest.raises(NotFound):
        _schedule(ada, number=7)
    with db.session_scope() as session:
        assert jobs.latest_tasks(session) == []


def test_a_job_for_someone_no_longer_admin_is_refused(migrated_db):
    ada, _ = _setup()
    task_id = _schedule(ada)
    with db.session_scope() as session:
        users.get_user(session, ada.user_id).is_admin = False
    done = jobs.run_here(task_id)
    assert done.status == TaskStatus.FAILED
    assert "Only an admin can deploy objects" in done.error
    assert read_deploy_job(task_id).error


def test_a_door_asks_with_request_deploy_and_may_run_the_job_here(migrated_db):
    """The CLI's way: the job is asked for with here=True (no worker takes it) and run in
    the same process, on the same Task row; a job that can't deploy raises the reason."""
    ada, _ = _setup()
    task = deploy.request_deploy("calc", actor=ada, here=True)
    with db.session_scope() as session:
        assert jobs.get_task(session, task.id).published_at is not None  # never for a worker
    seen: list[int] = []
    deployment = deploy.run_here(int(task.id), echo=lambda percent, _message: seen.append(percent))
    assert deployment.status == DeploymentStatus.LIVE and seen == [20, 50]
    with db.session_scope() as session:
        assert jobs.get_task(session, task.id).result["deployment_id"] == deployment.id

    # A rollback restores v1 as v3 and deploys that; it needs the version to restore.
    with db.session_scope() as session:
        store.edit_object(session, "calc", files={"main.py": MAIN + "\n"}, actor=ada)
    with pytest.raises(InvalidInput, match="which version"):
        deploy.request_deploy("calc", actor=ada, restore=True)
    rolled = deploy.run_here(
        int(deploy.request_deploy("calc", actor=ada, number=1, restore=True, here=True).id)
    )
    assert rolled.status == DeploymentStatus.LIVE
    with db.session_scope() as session:
        assert store.get_object(session, "calc").deployed_version == 3
        first = session.get(Deployment, deployment.id)
        assert first.status == DeploymentStatus.ROLLED_BACK

    task = deploy.request_deploy("calc", actor=ada, here=True)
    with db.session_scope() as session:
        users.get_user(session, ada.user_id).is_admin = False
    with pytest.raises(ProductError, match=rf"deploy job \(task {task.id}\) failed: Only an admin"):
        deploy.run_here(int(task.id))
