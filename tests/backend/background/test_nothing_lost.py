"""Nothing a person asked for is lost: the database is the record of work, not the broker.

- A job the broker lost (a flushed or restarted Redis, a worker that took it and could not
  start it) is handed over again by the sweeper (`jobs.republish_lost`) and runs once;
  one lost too often is failed with the reason.
- A notification whose sending job failed ends failed and goes out on the next channel.
- A deployment left `testing` by a job that ended (its worker killed) ends failed, and the
  live version keeps serving.

The first tests drive the backend directly (SQLite and PostgreSQL, the embedded broker);
the last ones start real workers, on Redis servers of their own where Redis is flushed or
stopped.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import redis
import sqlalchemy
from aiosmtpd.controller import Controller
from sqlalchemy import text
from sqlmodel import col, select

from backend import config
from backend.access.audit import Actor
from backend.accounts import users
from backend.background import jobs
from backend.channels import outbox
from backend.db import session_scope
from backend.enums import (
    Channel,
    DeploymentStatus,
    EventName,
    NotificationPurpose,
    NotificationStatus,
    ObjectStatus,
    TaskStatus,
)
from backend.errors import Conflict
from backend.models import Deployment, Event, Notification, Task
from backend.objects import deploy, store
from tasks.dispatch import RUNNER, enqueue
from tests.backend.channels.test_alert_channels import Mailbox
from tests.support.deploying import deploy_now
from tests.support.factories import phone_user
from tests.support.llm_scenarios import MAIN, TESTS
from tests.support.notification_rows import replacements, stored
from tests.support.workers import Worker, free_port, redis_server, start_worker, stop

TEST_JOBS_MODULE = "tests.support.jobs_test_only"
#: Workers here sweep often, notice a lost worker soon and a lost message after a second.
FAST = {
    "JOB_SWEEP_SECONDS": "0.5",
    "JOB_HEARTBEAT_SECONDS": "0.5",
    "JOB_LOST_SECONDS": "5",
    "JOB_REPUBLISH_AFTER_SECONDS": "1",
}
JOB_TIMEOUT = 90.0
LATER = timedelta(minutes=5)


def _task(task_id: int) -> Task:
    with session_scope() as session:
        return jobs.get_task(session, task_id)


def _broker_engine() -> sqlalchemy.Engine:
    return sqlalchemy.create_engine(config.get_settings().broker_url.removeprefix("sqla+"))


def _broker_ids() -> list[str]:
    """The message ids waiting in the embedded broker, oldest first."""
    engine = _broker_engine()
    try:
        with engine.connect() as connection:
            payloads = connection.execute(
                text("SELECT payload FROM kombu_message WHERE visible = :yes ORDER BY id"),
                {"yes": True},
            )
            return [json.loads(p[0])["headers"]["id"] for p in payloads]
    finally:
        engine.dispose()


def _broker_lose_everything(delivered_at: object = None) -> None:
    """What a broker that lost its queue looks like: no message waits any more (with
    `delivered_at`, each was taken by a worker then, and never acknowledged)."""
    engine = _broker_engine()
    try:
        with engine.begin() as connection:
            if delivered_at is None:
                connection.execute(text("DELETE FROM kombu_message"))
            else:
                connection.execute(
                    text("UPDATE kombu_message SET visible = :no, timestamp = :at"),
                    {"no": False, "at": delivered_at},
                )
    finally:
        engine.dispose()


# --- lost messages, without a worker -----------------------------------------------------------


def test_a_job_whose_message_the_broker_lost_is_handed_over_again(migrated_db: str) -> None:
    task_id = enqueue("system.check")
    task = _task(task_id)
    assert task.published_at is not None and _broker_ids() == [task.celery_id]

    # Still queued (a backlog, no worker yet): not lost, however long it waits.
    assert jobs.republish_lost(now=task.published_at + LATER) == {"republished": [], "failed": []}
    # Taken by a worker a moment ago, not started yet: not lost either.
    _broker_lose_everything(delivered_at=datetime.now())
    assert jobs.republish_lost(now=task.published_at + LATER)["republished"] == []
    # Too recent to tell: left alone whatever the broker says.
    _broker_lose_everything()
    assert jobs.republish_lost(now=task.published_at)["republished"] == []
    # Taken by a worker an hour ago and never started (it died, or could not record its
    # start, e.g. "could not record the failure of task N"): lost.
    _broker_lose_everything(delivered_at=datetime.now() - timedelta(hours=1))

    assert jobs.republish_lost(now=task.published_at + LATER) == {
        "republished": [task_id],
        "failed": [],
    }
    again = _task(task_id)
    assert again.status == TaskStatus.PENDING
    assert again.republishes == 1
    assert again.celery_id == task.celery_id  # any copy may run it; only one will
    assert again.published_at > task.published_at
    assert "handed to the broker again" in again.message
    assert _broker_ids() == [task.celery_id]
    # Handed over again just now: the next sweep leaves it alone.
    assert jobs.republish_lost()["republished"] == []


def test_redis_holds_what_waits_and_what_a_worker_took_lately(
    sqlite_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kombu's Redis layout: a list per queue, taken messages in the `unacked` hash, stamped
    with when they were taken in `unacked_index`."""
    port = free_port()
    queue = f"dobj-test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{port}/0")
    monkeypatch.setenv("CELERY_QUEUE", queue)
    config.reload_settings()
    with redis_server(port, tmp_path):
        waiting, taken = enqueue("system.check"), enqueue("system.check")
        ids = {_task(waiting).celery_id, _task(taken).celery_id}
        assert RUNNER.held(60) == ids
        client = redis.Redis(port=port)
        message = next(
            m for m in client.lrange(f"{queue}:{queue}", 0, -1) if _task(taken).celery_id in str(m)
        )
        client.lrem(f"{queue}:{queue}", 1, message)
        client.hset(f"{queue}:unacked", "tag-1", json.dumps([json.loads(message), "", queue]))
        client.zadd(f"{queue}:unacked_index", {"tag-1": time.time() - 30})
        assert RUNNER.held(60) == ids  # taken 30 s ago: the worker still has it
        assert RUNNER.held(10) == {_task(waiting).celery_id}  # too long ago: lost
        client.flushall()
        client.close()
        assert RUNNER.held(60) == set()
    with pytest.raises(redis.ConnectionError):  # it is gone: the sweeper does nothing
        RUNNER.held(60)


def test_a_job_lost_too_often_fails_with_the_reason(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOB_MAX_REPUBLISHES", "1")
    config.reload_settings()
    task_id = enqueue("system.check")
    _broker_lose_everything()
    assert jobs.republish_lost(now=_task(task_id).published_at + LATER)["republished"] == [task_id]
    _broker_lose_everything()
    outcome = jobs.republish_lost(now=_task(task_id).published_at + LATER)
    assert outcome == {"republished": [], "failed": [task_id]}

    failed = _task(task_id)
    assert failed.status == TaskStatus.FAILED
    assert failed.error.startswith("no worker started it: its message was lost 2 times")
    with session_scope() as session:
        events = session.exec(select(Event).where(Event.name == EventName.TASK_FAILED)).all()
    assert [event.payload["task_id"] for event in events] == [task_id]


def test_a_started_job_is_never_republished_nor_failed_as_lost(sqlite_db: str) -> None:
    task_id = enqueue("system.check")
    jobs.mark_running(task_id, celery_id=_task(task_id).celery_id)
    _broker_lose_everything()
    outcome = jobs.republish_lost(now=_task(task_id).published_at + LATER)
    assert outcome == {"republished": [], "failed": []}
    assert _task(task_id).status == TaskStatus.RUNNING


def test_the_claim_starts_a_job_once_whatever_copy_comes(sqlite_db: str) -> None:
    task_id = enqueue("system.check")
    celery_id = _task(task_id).celery_id
    jobs.mark_running(task_id, celery_id=celery_id)
    with pytest.raises(Conflict, match="already running"):
        jobs.mark_running(task_id, celery_id=celery_id)


# --- a failed notification job -----------------------------------------------------------------


def _email_alert() -> tuple[int, int]:
    """An email alert for a person with a verified phone; (notification id, its task id)."""
    with session_scope() as session:
        user = phone_user(session)
        notification = outbox.queue(
            session,
            channel=Channel.EMAIL,
            target=user.email,
            body="payments are failing",
            purpose=NotificationPurpose.ALERT,
            user_id=user.id,
            subject="payments",
        )
        notification_id = int(notification.id)
    with session_scope() as session:
        task = session.exec(
            select(Task).order_by(col(Task.id).desc()).where(Task.kind == "notification.send")
        ).first()
        assert task.params == {"notification_id": notification_id}
        return notification_id, int(task.id)


def test_a_failed_notification_job_fails_it_and_tries_the_next_channel(migrated_db: str) -> None:
    notification_id, task_id = _email_alert()
    jobs.mark_failed(task_id, "worker lost: its worker host:1 is gone (after 2 redeliveries)")

    failed = stored(notification_id)
    assert failed.status == NotificationStatus.FAILED
    assert failed.error == (
        f"its sending job (task {task_id}) failed: worker lost: its worker host:1 is gone "
        "(after 2 redeliveries)"
    )
    [replacement] = replacements(notification_id)
    assert (replacement.channel, replacement.status) == (Channel.SMS, NotificationStatus.QUEUED)
    assert replacement.body.endswith("payments are failing")
    with session_scope() as session:  # and it has its own job, handed to the broker
        sends = session.exec(select(Task).where(Task.kind == "notification.send")).all()
    assert [t.params["notification_id"] for t in sends] == [notification_id, replacement.id]
    assert sends[1].status == TaskStatus.PENDING and sends[1].published_at is not None


def test_a_sent_notification_is_left_alone_when_its_job_fails_later(sqlite_db: str) -> None:
    notification_id, task_id = _email_alert()
    with session_scope() as session:
        session.get(Notification, notification_id).status = NotificationStatus.SENT
    jobs.mark_failed(task_id, "the database went away while recording the result")
    assert stored(notification_id).status == NotificationStatus.SENT
    assert replacements(notification_id) == []


def test_a_failure_handler_that_raises_never_stops_the_failure_being_recorded(
    sqlite_db: str,
) -> None:
    def broken(_session, _task) -> None:
        raise RuntimeError("a bug in a handler")

    jobs.on_failure("tests.raise", broken)
    try:
        with session_scope() as session:
            task_id = int(jobs.create_task(session, "tests.raise", {"message": "x"}).id)
        failed = jobs.mark_failed(task_id, "it failed")
    finally:
        jobs._failure_handlers["tests.raise"].remove(broken)
    assert (failed.status, failed.error) == (TaskStatus.FAILED, "it failed")


# --- a deployment its job left testing ---------------------------------------------------------


def _calc(ops: Actor) -> None:
    with session_scope() as session:
        store.create_object_in(
            session,
            slug="calc",
            name="Calc",
            files={"main.py": MAIN, "test_main.py": TESTS},
            actor=ops,
        )


def _stranded_deployment(ops: Actor) -> tuple[int, int]:
    """A deploy job whose worker began testing the current version, then vanished:
    (the deployment left testing, its task)."""
    with session_scope() as session:
        task_id = int(deploy.schedule_deploy(session, "calc", actor=ops).id)
    jobs.mark_running(task_id, celery_id=_task(task_id).celery_id, worker="elsewhere:1")
    with session_scope() as session:
        obj = store.get_object(session, "calc")
        version = store.get_version(session, "calc", None)
        deployment = Deployment(
            object_id=obj.id,
            version_id=version.id,
            status=DeploymentStatus.TESTING,
            deployed_by="ops",
            task_id=task_id,
        )
        session.add(deployment)
        session.flush()
        return int(deployment.id), task_id


def test_a_deployment_left_testing_by_a_lost_worker_fails_and_the_live_version_serves(
    migrated_db: str,
) -> None:
    ops = Actor.operator("ops")
    _calc(ops)
    live = deploy_now("calc", actor=ops)
    assert live.status == DeploymentStatus.LIVE
    with session_scope() as session:
        store.edit_object(
            session, "calc", files={"main.py": MAIN + "\n", "test_main.py": TESTS}, actor=ops
        )
    deployment_id, task_id = _stranded_deployment(ops)
    assert deploy.fail_stranded() == []  # its job still runs: leave it be

    jobs.mark_failed(task_id, "worker lost: its worker elsewhere:1 stopped reporting")
    assert deploy.fail_stranded() == [deployment_id]
    assert deploy.fail_stranded() == []

    with session_scope() as session:
        failed = session.get(Deployment, deployment_id)
        assert failed.status == DeploymentStatus.FAILED and failed.finished_at is not None
        assert failed.logs.endswith(
            f"deployment failed: the deploy job (task {task_id}) failed: worker lost: its "
            "worker elsewhere:1 stopped reporting"
        )
        assert session.get(Deployment, live.id).status == DeploymentStatus.LIVE
        obj = store.get_object(session, "calc")
        assert (obj.status, obj.deployed_version) == (ObjectStatus.DEPLOYED, 1)
        [event] = session.exec(select(Event).where(Event.name == EventName.DEPLOYMENT_FAILED)).all()
        assert event.payload["deployment_id"] == deployment_id
        assert event.payload["version"] == 2


def test_a_first_deployment_left_testing_fails_the_object(sqlite_db: str) -> None:
    ops = Actor.operator("ops")
    _calc(ops)
    deployment_id, task_id = _stranded_deployment(ops)
    jobs.mark_failed(task_id, "WorkerLostError: Worker exited prematurely: signal 9 (SIGKILL)")
    assert deploy.fail_stranded() == [deployment_id]
    with session_scope() as session:
        assert store.get_object(session, "calc").status == ObjectStatus.FAILED
        assert session.get(Deployment, deployment_id).status == DeploymentStatus.FAILED


# --- real workers ------------------------------------------------------------------------------


@pytest.fixture
def mailbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    """A real SMTP server on 127.0.0.1, configured as the product's (and its workers')."""
    handler = Mailbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, loop=asyncio.new_event_loop())
    controller.start()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    monkeypatch.setenv("FROM_EMAIL", "bot@example.com")
    config.reload_settings()
    yield handler
    controller.stop()


@pytest.fixture
def own_redis(
    sqlite_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[int, Path]]:
    """The settings for a worker on a Redis of this test's own (port, folder), fast sweeps."""
    port = free_port()
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{port}/0")
    monkeypatch.setenv("CELERY_QUEUE", f"dobj-test-{uuid.uuid4().hex[:12]}")
    monkeypatch.setenv("CELERY_IMPORTS", TEST_JOBS_MODULE)
    for name, value in FAST.items():
        monkeypatch.setenv(name, value)
    config.reload_settings()
    yield port, tmp_path


def _wait_all_finished(worker: Worker, task_ids: list[int]) -> list[Task]:
    deadline = time.monotonic() + JOB_TIMEOUT
    while time.monotonic() < deadline:
        with session_scope() as session:
            tasks = session.exec(select(Task).where(col(Task.id).in_(task_ids))).all()
        if len(tasks) == len(task_ids) and all(
            t.status in (TaskStatus.SUCCEEDED, TaskStatus.FAILED) for t in tasks
        ):
            return sorted(tasks, key=lambda t: t.id)
        time.sleep(0.2)
    pending = [(t.id, t.status, t.message) for t in tasks if t.status in jobs.OPEN_STATUSES]
    pytest.fail(f"not finished within {JOB_TIMEOUT:g} s: {pending}\n{worker.log_tail(60)}")


def _email_alerts(count: int) -> list[int]:
    """`count` email alerts to different people; their notification.send task ids."""
    with session_scope() as session:
        for n in range(count):
            user = users.add_user_in(session, name=f"P{n}", email=f"p{n}@example.com")
            outbox.queue(
                session,
                channel=Channel.EMAIL,
                target=user.email,
                body=f"alert {n}",
                purpose=NotificationPurpose.ALERT,
                user_id=user.id,
                subject=f"alert {n}",
            )
    with session_scope() as session:
        return [
            int(t.id) for t in session.exec(select(Task).where(Task.kind == "notification.send"))
        ]


def _queued_in(port: int) -> int:
    client = redis.Redis(port=port)
    try:
        queue = config.get_settings().celery_queue
        return int(client.llen(f"{queue}:{queue}"))
    finally:
        client.close()


def _check_each_ran_once(tasks: list[Task], runs: Path, mailbox: Mailbox) -> None:
    assert [t.status for t in tasks] == [TaskStatus.SUCCEEDED] * len(tasks), [
        (t.id, t.error) for t in tasks
    ]
    recorded = [t.id for t in tasks if t.kind == "tests.record"]
    assert sorted(int(line) for line in runs.read_text().split()) == recorded  # once each
    emails = sorted(str(message["To"]) for message in mailbox.messages)
    with session_scope() as session:
        sent = session.exec(select(Notification)).all()
    assert {n.status for n in sent} == {NotificationStatus.SENT}
    assert emails == sorted(n.target for n in sent)  # one email per notification


@pytest.mark.slow
def test_jobs_queued_when_redis_is_flushed_all_run_exactly_once(
    own_redis: tuple[int, Path], mailbox: Mailbox
) -> None:
    port, folder = own_redis
    runs = folder / "runs"
    with redis_server(port, folder):
        alerts = _email_alerts(5)
        recorded = [enqueue("tests.record", {"runs": str(runs)}) for _ in range(10)]
        assert _queued_in(port) == 15  # no worker yet: all of them wait in Redis
        client = redis.Redis(port=port)
        client.flushall()
        client.close()
        worker = start_worker(dict(os.environ), folder / "worker.log", "redis")
        try:
            tasks = _wait_all_finished(worker, alerts + recorded)
        finally:
            stop(worker.process)
    _check_each_ran_once(tasks, runs, mailbox)
    assert {t.republishes for t in tasks} == {1}


@pytest.mark.slow
def test_work_queued_or_asked_for_while_redis_restarts_empty_runs_once_after(
    own_redis: tuple[int, Path], mailbox: Mailbox
) -> None:
    port, folder = own_redis
    runs = folder / "runs"
    with redis_server(port, folder):
        queued = _email_alerts(3) + [enqueue("tests.record", {"runs": str(runs)}) for _ in range(5)]
        assert _queued_in(port) == 8
    # Redis is down (and had no persistence): asked for now, the work waits unpublished.
    meanwhile = [enqueue("tests.record", {"runs": str(runs)}) for _ in range(3)]
    assert all(_task(t).published_at is None for t in meanwhile)
    worker = start_worker(dict(os.environ), folder / "worker.log", "redis", wait_ready=False)
    try:
        with redis_server(port, folder):  # back, and empty
            tasks = _wait_all_finished(worker, queued + meanwhile)
    finally:
        stop(worker.process)
    _check_each_ran_once(tasks, runs, mailbox)


@pytest.mark.slow
def test_a_worker_killed_during_a_deploy_never_leaves_it_testing(
    sqlite_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)  # the embedded broker
    monkeypatch.setenv("CELERY_QUEUE", f"dobj-test-{uuid.uuid4().hex[:12]}")
    for name, value in FAST.items():
        monkeypatch.setenv(name, value)
    config.reload_settings()
    ops = Actor.operator("ops")
    _calc(ops)
    deploy_now("calc", actor=ops)  # v1 is live
    slow = TESTS + "\n\ndef test_takes_a_while():\n    import time\n    time.sleep(8)\n"
    with session_scope() as session:
        store.edit_object(session, "calc", files={"main.py": MAIN, "test_main.py": slow}, actor=ops)
        task_id = int(deploy.schedule_deploy(session, "calc", actor=ops).id)

    first = start_worker(dict(os.environ), tmp_path / "first.log", "embedded")
    second = None
    try:
        deadline = time.monotonic() + JOB_TIMEOUT
        while _task(task_id).progress < 50:  # running the tests of v2
            assert time.monotonic() < deadline, first.log_tail()
            time.sleep(0.1)
        with session_scope() as session:
            [testing] = session.exec(
                select(Deployment).where(Deployment.status == DeploymentStatus.TESTING)
            ).all()
        os.killpg(first.process.pid, signal.SIGKILL)
        first.process.wait(10)

        second = start_worker(dict(os.environ), tmp_path / "second.log", "embedded")
        deadline = time.monotonic() + JOB_TIMEOUT
        while True:
            with session_scope() as session:
                deployment = session.get(Deployment, testing.id)
            if deployment.status != DeploymentStatus.TESTING:
                break
            assert time.monotonic() < deadline, second.log_tail()
            time.sleep(0.2)
    finally:
        for worker in (first, second):
            if worker is not None:
                stop(worker.process)

    assert deployment.status == DeploymentStatus.FAILED
    assert "worker lost" in deployment.logs
    task = _task(task_id)
    assert task.status == TaskStatus.FAILED and task.error.startswith("worker lost")
    with session_scope() as session:
        obj = store.get_object(session, "calc")
        assert (obj.status, obj.deployed_version) == (ObjectStatus.DEPLOYED, 1)
