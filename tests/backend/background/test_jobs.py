"""Background jobs: the Task row lifecycle (backend.background.jobs) and real Celery workers.

The lifecycle runs on SQLite and PostgreSQL. The round trips start a real worker process,
with the command the run script uses, once per broker (the embedded SQLite broker and Redis)
and share it across that broker's tests. Test-only jobs (a failure, a lost process, a slow
job) live in tests/support/jobs_test_only.py, which the worker imports through CELERY_IMPORTS.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import redis
import sqlalchemy
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import select

from backend import config, db
from backend.background import jobs
from backend.config import PROJECT_ROOT
from backend.db import session_scope
from backend.enums import EventName, TaskStatus
from backend.errors import Conflict, InvalidInput, NotFound
from backend.models import Event, Task
from tasks.celery_app import prune_embedded_broker
from tasks.dispatch import RUNNER, enqueue
from tests.support.workers import WORKER_START_TIMEOUT, Worker, free_port, redis_server
from tests.support.workers import start_worker as _start_worker
from tests.support.workers import stop as _stop

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
UNREACHABLE_REDIS_URL = "redis://127.0.0.1:1/0"
TEST_JOBS_MODULE = "tests.support.jobs_test_only"
#: The test workers sweep often and notice a silent worker soon.
FAST_SWEEPS = {"JOB_SWEEP_SECONDS": "0.5", "JOB_HEARTBEAT_SECONDS": "0.5", "JOB_LOST_SECONDS": "5"}
JOB_TIMEOUT = 60.0


def _task(task_id: int) -> Task:
    with session_scope() as session:
        return jobs.get_task(session, task_id)


def _failed_events(task_id: int) -> list[Event]:
    with session_scope() as session:
        events = session.exec(select(Event).where(Event.name == EventName.TASK_FAILED)).all()
        return [event for event in events if event.payload.get("task_id") == task_id]


def _without_actor(payload: dict) -> dict:
    """An action's event payload without who acted (every action's payload names them)."""
    return {k: v for k, v in payload.items() if k not in ("actor", "actor_user_id")}


def _new_task(kind: str = "system.check", params: dict | None = None) -> int:
    with session_scope() as session:
        return int(jobs.create_task(session, kind, params or {}).id)


# --- backend.background.jobs on SQLite and PostgreSQL ------------------------------------------


def test_create_task_is_pending(migrated_db: str) -> None:
    with session_scope() as session:
        task = jobs.create_task(session, "system.check", {"a": [1, "b"]}, celery_id="abc")
        assert task.id is not None
    stored = _task(task.id)
    assert stored.kind == "system.check"
    assert stored.status == TaskStatus.PENDING
    assert stored.progress == 0
    assert stored.params == {"a": [1, "b"]}
    assert stored.celery_id == "abc"
    assert stored.result is None and stored.error is None
    assert stored.created_at.utcoffset() is not None
    assert stored.started_at is None and stored.finished_at is None


@pytest.mark.parametrize(
    ("kind", "params", "complaint"),
    [
        ("", {}, "needs a kind"),
        ("   ", {}, "needs a kind"),
        ("x" * 65, {}, "longer than 64"),
        ("system.check", ["not", "a", "dict"], "JSON object"),
        ("system.check", {"when": object()}, "not JSON-serialisable"),
        ("system.check", {"nan": float("nan")}, "not JSON-serialisable"),
    ],
)
def test_create_task_refuses_bad_input(
    migrated_db: str, kind: str, params: object, complaint: str
) -> None:
    with pytest.raises(InvalidInput, match=complaint), session_scope() as session:
        jobs.create_task(session, kind, params)  # type: ignore[arg-type]
    with session_scope() as session:
        assert jobs.latest_tasks(session, 10) == []


def test_lifecycle_to_success(migrated_db: str) -> None:
    task_id = _new_task()

    running = jobs.mark_running(task_id)
    assert running.status == TaskStatus.RUNNING
    assert running.started_at is not None and running.started_at.utcoffset() is not None

    # Each report is committed at once: a fresh session (a polling browser) sees it.
    jobs.report_progress(task_id, 42, "halfway-ish")
    seen = _task(task_id)
    assert (seen.progress, seen.message, seen.status) == (42, "halfway-ish", TaskStatus.RUNNING)
    assert jobs.report_progress(task_id, 250, "too far").progress == 100
    assert jobs.report_progress(task_id, -3, "too low").progress == 0

    done = jobs.mark_succeeded(task_id, {"answer": 42, "items": ["a"]}, message="all good")
    assert done.status == TaskStatus.SUCCEEDED
    stored = _task(task_id)
    assert stored.status == TaskStatus.SUCCEEDED
    assert stored.progress == 100
    assert stored.result == {"answer": 42, "items": ["a"]}
    assert stored.message == "all good"
    assert stored.error is None
    assert stored.finished_at is not None and stored.finished_at >= stored.started_at
    assert _failed_events(task_id) == []


def test_success_without_message_says_done(migrated_db: str) -> None:
    task_id = _new_task()
    assert jobs.mark_succeeded(task_id, {}).message == "done"


def test_failure_records_reason_and_event_together(migrated_db: str) -> None:
    task_id = _new_task("system.check")
    jobs.mark_running(task_id)
    jobs.report_progress(task_id, 30, "working")

    failed = jobs.mark_failed(task_id, "ValueError: the disk is full\nmore detail")
    assert failed.status == TaskStatus.FAILED
    stored = _task(task_id)
    assert stored.error == "ValueError: the disk is full\nmore detail"
    assert stored.message == "failed: ValueError: the disk is full"
    assert stored.progress == 30  # how far it got stays visible
    assert stored.finished_at is not None
    [event] = _failed_events(task_id)
    assert _without_actor(event.payload) == {
        "task_id": task_id,
        "kind": "system.check",
        "error": "ValueError: the disk is full\nmore detail",
    }


def test_failure_needs_no_reason_to_be_recorded(migrated_db: str) -> None:
    task_id = _new_task()
    assert jobs.mark_failed(task_id, "  ").error == "failed without a reason given"


def test_very_long_errors_are_clipped(migrated_db: str) -> None:
    task_id = _new_task()
    error = jobs.mark_failed(task_id, "x" * 50_000).error
    assert error is not None and len(error) == jobs.ERROR_MAX_LENGTH
    assert error.endswith("... [clipped; 50000 characters in all]")


@pytest.mark.parametrize("ending", ["succeeded", "failed"])
def test_finished_task_is_final(migrated_db: str, ending: str) -> None:
    task_id = _new_task()
    jobs.mark_running(task_id)
    if ending == "succeeded":
        jobs.mark_succeeded(task_id, {"n": 1})
    else:
        jobs.mark_failed(task_id, "first failure")
    before = _task(task_id)

    for attempt in (
        lambda: jobs.mark_running(task_id),
        lambda: jobs.report_progress(task_id, 10, "late report"),
        lambda: jobs.mark_succeeded(task_id, {"n": 2}),
        lambda: jobs.mark_failed(task_id, "second failure"),
    ):
        with pytest.raises(Conflict, match=f"already {ending}"):
            attempt()

    after = _task(task_id)
    assert after.model_dump() == before.model_dump()
    expected_events = 1 if ending == "failed" else 0
    assert len(_failed_events(task_id)) == expected_events  # the refused one wrote nothing


def test_a_running_task_never_starts_twice(migrated_db: str) -> None:
    """A message delivered twice, or a stale copy of a job handed out again, is refused."""
    task_id = _new_task()
    with session_scope() as session:
        session.get(Task, task_id).celery_id = "current"
    with pytest.raises(Conflict, match="stale"):
        jobs.mark_running(task_id, celery_id="old", worker="elsewhere:1")
    assert _task(task_id).status == TaskStatus.PENDING  # the refusal changed nothing
    running = jobs.mark_running(task_id, celery_id="current", worker="here:1")
    assert (running.status, running.worker) == (TaskStatus.RUNNING, "here:1")
    assert running.heartbeat_at is not None
    with pytest.raises(Conflict, match="already running"):
        jobs.mark_running(task_id, celery_id="current", worker="here:2")


def test_result_must_be_a_json_object(migrated_db: str) -> None:
    task_id = _new_task()
    jobs.mark_running(task_id)
    with pytest.raises(InvalidInput, match="not JSON-serialisable"):
        jobs.mark_succeeded(task_id, {"when": object()})
    with pytest.raises(InvalidInput, match="JSON object"):
        jobs.mark_succeeded(task_id, [1, 2])  # type: ignore[arg-type]
    assert _task(task_id).status == TaskStatus.RUNNING


def test_unknown_task_is_not_found(migrated_db: str) -> None:
    for call in (
        lambda: jobs.mark_running(999),
        lambda: jobs.report_progress(999, 1, "x"),
        lambda: jobs.mark_succeeded(999, {}),
        lambda: jobs.mark_failed(999, "x"),
    ):
        with pytest.raises(NotFound, match="task 999 does not exist"):
            call()
    with pytest.raises(NotFound), session_scope() as session:
        jobs.get_task(session, 999)
    assert _failed_events(999) == []


def test_latest_tasks_newest_first(migrated_db: str) -> None:
    ids = [_new_task(f"kind.{n}") for n in range(3)]
    with session_scope() as session:
        assert [task.id for task in jobs.latest_tasks(session, 2)] == ids[::-1][:2]
        assert [task.id for task in jobs.latest_tasks(session, 10)] == ids[::-1]
        for bad in (0, -1, jobs.LATEST_MAX + 1):
            with pytest.raises(InvalidInput, match="limit"):
                jobs.latest_tasks(session, bad)


def _race_to_finish(task_id: int) -> list[str]:
    """Mark the task succeeded and failed from two threads at once; returns who got what."""
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def finish(how: str) -> None:
        barrier.wait()
        try:
            if how == "ok":
                jobs.mark_succeeded(task_id, {})
            else:
                jobs.mark_failed(task_id, "lost the race")
            outcomes.append(how)
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=finish, args=(how,)) for how in ("ok", "fail")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


def test_racing_endings_have_one_winner(migrated_db: str) -> None:
    """Success and failure arriving at once (e.g. a late worker and a publish timeout)."""
    for _ in range(3):
        task_id = _new_task()
        jobs.mark_running(task_id)
        outcomes = _race_to_finish(task_id)
        assert sorted(outcomes) in (["conflict", "ok"], ["conflict", "fail"])
        winner = "ok" if "ok" in outcomes else "fail"
        final = _task(task_id)
        assert final.status == (TaskStatus.SUCCEEDED if winner == "ok" else TaskStatus.FAILED)
        assert len(_failed_events(task_id)) == (1 if winner == "fail" else 0)


# --- enqueue without a worker -----------------------------------------------------------------


def test_enqueue_refuses_unknown_kind_and_bad_params(sqlite_db: str) -> None:
    with pytest.raises(InvalidInput, match=r"no job named 'no\.such\.job'"):
        enqueue("no.such.job")
    with pytest.raises(InvalidInput, match="JSON object"):
        enqueue("system.check", ["not", "a", "dict"])  # type: ignore[arg-type]
    with session_scope() as session:
        assert jobs.latest_tasks(session, 10) == []  # refused before anything was written


def test_a_job_scheduled_while_the_broker_is_down_waits_unpublished(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", UNREACHABLE_REDIS_URL)
    config.reload_settings()
    started = time.monotonic()
    task_id = enqueue("system.check")  # the commit succeeds; only the hand-over failed
    assert time.monotonic() - started < 10, "a dead broker must not hang the request"

    task = _task(task_id)
    assert (task.status, task.published_at) == (TaskStatus.PENDING, None)
    assert "waiting for the broker" in task.message
    assert "Redis" in task.message and "redis://127.0.0.1:1" in task.message
    assert _failed_events(task_id) == []
    # The sweeper leaves it alone while the broker is still down...
    assert jobs.publish_unpublished(now=task.created_at + timedelta(minutes=1)) == 0
    assert _task(task_id).published_at is None

    # ...and hands it over once the broker answers (here: the embedded one).
    monkeypatch.delenv("REDIS_URL")
    config.reload_settings()
    assert jobs.publish_unpublished(now=task.created_at + timedelta(minutes=1)) == 1
    assert _task(task_id).published_at is not None
    assert jobs.publish_unpublished(now=task.created_at + timedelta(minutes=1)) == 0


def test_a_rolled_back_schedule_leaves_no_row_and_no_message(sqlite_db: str) -> None:
    with pytest.raises(RuntimeError), session_scope() as session:
        jobs.schedule(session, "system.check")
        raise RuntimeError("the change that asked for the job failed")
    with session_scope() as session:
        assert jobs.latest_tasks(session, 10) == []
    assert _broker_messages() == 0


def test_a_job_scheduled_in_a_savepoint_is_handed_over_once_the_whole_transaction_commits(
    sqlite_db: str,
) -> None:
    # An event subscriber schedules in a savepoint (events.activity): releasing it must not
    # publish while the outer transaction still holds SQLite's write lock (that waited out
    # the 10 s busy_timeout, then left the job to the sweeper).
    started = time.monotonic()
    with session_scope() as session:
        with session.begin_nested():
            task_id = int(jobs.schedule(session, "system.check").id)
        assert _broker_messages() == 0, "handed over before its row was committed"
    assert time.monotonic() - started < 5, "the hand-over waited for a lock"
    assert _task(task_id).published_at is not None
    assert _broker_messages() == 1


def test_a_rolled_back_savepoint_forgets_its_own_jobs_only(sqlite_db: str) -> None:
    with session_scope() as session:
        kept = int(jobs.schedule(session, "system.check").id)
        with pytest.raises(RuntimeError), session.begin_nested():
            jobs.schedule(session, "system.check")
            raise RuntimeError("a subscriber failed")
    with session_scope() as session:
        assert [task.id for task in jobs.latest_tasks(session, 10)] == [kept]
    assert _task(kept).published_at is not None
    assert _broker_messages() == 1


def _broker_messages() -> int:
    settings = config.get_settings()
    broker = sqlalchemy.create_engine(settings.broker_url.removeprefix("sqla+"))
    try:
        with broker.connect() as connection:
            if not sqlalchemy.inspect(connection).has_table("kombu_message"):
                return 0
            return connection.execute(text("SELECT count(*) FROM kombu_message")).scalar_one()
    finally:
        broker.dispose()


def test_a_starting_worker_prunes_old_delivered_messages_only(sqlite_db: str) -> None:
    for _ in range(3):
        enqueue("system.check")
    settings = config.get_settings()
    broker = sqlalchemy.create_engine(settings.broker_url.removeprefix("sqla+"))
    long_ago = datetime.now() - timedelta(days=2)
    with broker.begin() as connection:
        ids = [row[0] for row in connection.execute(text("SELECT id FROM kombu_message"))]
        assert len(ids) == 3
        # As kombu leaves them: one delivered two days ago, one just now, one still waiting.
        connection.execute(
            text("UPDATE kombu_message SET visible = 0, timestamp = :at WHERE id = :id"),
            [{"at": long_ago, "id": ids[0]}, {"at": datetime.now(), "id": ids[1]}],
        )

    assert prune_embedded_broker(settings) == 1
    assert prune_embedded_broker(settings) == 0
    with broker.connect() as connection:
        left = [row[0] for row in connection.execute(text("SELECT id FROM kombu_message"))]
    broker.dispose()
    assert sorted(left) == ids[1:]


def test_pruning_leaves_redis_alone(sqlite_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", UNREACHABLE_REDIS_URL)
    assert prune_embedded_broker(config.reload_settings()) == 0  # never even connects


# --- real workers -------------------------------------------------------------------------------


def _redis_unreachable() -> str | None:
    """None if the test Redis answers, else why not."""
    try:
        client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        client.close()
        return None
    except Exception as exc:  # any failure means "not here"
        return f"Redis at {TEST_REDIS_URL} unreachable: {exc.__class__.__name__}: {exc}"


@pytest.fixture(scope="module", params=["embedded", "redis"])
def worker_process(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Worker]:
    """One worker per broker for this module, on its own data folder and SQLite database."""
    broker = request.param
    if broker == "redis":
        reason = _redis_unreachable()
        if reason:
            if os.environ.get("CI"):
                pytest.fail(reason)
            pytest.skip(reason)
    folder = tmp_path_factory.mktemp(f"worker-{broker}")
    data_dir = folder / "data"
    queue = f"dobj-test-{uuid.uuid4().hex[:12]}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATA_DIR", str(data_dir))
        patch.setenv("DATABASE_URL", f"sqlite:///{data_dir / 'app.db'}")
        patch.setenv("CELERY_QUEUE", queue)
        patch.setenv("CELERY_IMPORTS", TEST_JOBS_MODULE)
        for name, value in FAST_SWEEPS.items():
            patch.setenv(name, value)
        if broker == "redis":
            patch.setenv("REDIS_URL", TEST_REDIS_URL)
        else:
            patch.delenv("REDIS_URL", raising=False)
        config.reload_settings()
        db.upgrade_database()
        worker = _start_worker(dict(os.environ), folder / "worker.log", broker)
        try:
            yield worker
        finally:
            _stop(worker.process)
            db._engine_for.cache_clear()
            if broker == "redis":
                client = redis.Redis.from_url(TEST_REDIS_URL)
                leftovers = list(client.scan_iter(match=f"{queue}:*"))
                if leftovers:
                    client.delete(*leftovers)
                client.close()
    config.reload_settings()


@pytest.fixture
def worker(worker_process: Worker, monkeypatch: pytest.MonkeyPatch) -> Worker:
    """The module's worker, with this process's settings pointed where it works."""
    for name, value in worker_process.env.items():
        if name in {"DATA_DIR", "DATABASE_URL", "CELERY_QUEUE", "CELERY_IMPORTS", "REDIS_URL"}:
            monkeypatch.setenv(name, value)
    if "REDIS_URL" not in worker_process.env:
        monkeypatch.delenv("REDIS_URL", raising=False)
    config.reload_settings()
    assert worker_process.process.poll() is None, worker_process.log_tail()
    return worker_process


def _wait_finished(worker: Worker, task_id: int, timeout: float = JOB_TIMEOUT) -> Task:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = _task(task_id)
        if task.status in (TaskStatus.SUCCEEDED, TaskStatus.FAILED):
            return task
        time.sleep(0.1)
    pytest.fail(
        f"task {task_id} still {task.status} after {timeout:g} s "
        f"({worker.broker} broker); worker log:\n{worker.log_tail()}"
    )


@pytest.mark.slow
def test_the_worker_log_says_root_in_one_line(worker: Worker) -> None:
    """As root, Celery's seven-line superuser warning is left out of the log; the worker
    says it once, in a line of its own. Real warnings and errors are untouched."""
    said = "the worker runs as root"
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while os.geteuid() == 0 and said not in worker.log_tail(200):
        assert time.monotonic() < deadline, worker.log_tail()
        time.sleep(0.1)
    log = worker.log_path.read_text(errors="replace")
    assert "superuser privileges" not in log and "SecurityWarning" not in log
    assert log.count(said) == (1 if os.geteuid() == 0 else 0)


@pytest.mark.slow
def test_system_check_round_trip(worker: Worker) -> None:
    task_id = enqueue("system.check")
    task = _wait_finished(worker, task_id)

    assert task.status == TaskStatus.SUCCEEDED, task.error
    assert task.progress == 100
    assert task.error is None
    assert task.celery_id
    assert task.started_at is not None and task.finished_at >= task.started_at
    database = task.result["database"]
    assert database["ok"] is True
    assert database["backend"] == "sqlite"
    assert database["up_to_date"] is True
    features = task.result["features"]
    assert set(features) == set(config.get_settings().features)
    assert all({"configured", "message"} <= set(state) for state in features.values())
    assert task.result["checked_at"]


@pytest.mark.slow
def test_progress_is_visible_while_running(worker: Worker, tmp_path: Path) -> None:
    go_ahead = tmp_path / "go-ahead"
    task_id = enqueue("tests.wait_for_file", {"path": str(go_ahead)})

    deadline = time.monotonic() + JOB_TIMEOUT
    while (task := _task(task_id)).progress < 50 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (task.status, task.progress, task.message) == (
        TaskStatus.RUNNING,
        50,
        "waiting for the go-ahead",
    ), worker.log_tail()

    go_ahead.touch()
    task = _wait_finished(worker, task_id)
    assert task.status == TaskStatus.SUCCEEDED, task.error
    assert task.result == {"seen": "go-ahead"}


@pytest.mark.slow
def test_job_that_raises_ends_failed_with_reason(worker: Worker) -> None:
    message = f"boom {uuid.uuid4().hex}"
    task_id = enqueue("tests.raise", {"message": message})
    task = _wait_finished(worker, task_id)

    assert task.status == TaskStatus.FAILED
    assert task.error == f"RuntimeError: {message}"
    assert task.progress == 40  # how far it got before failing
    [event] = _failed_events(task_id)
    assert _without_actor(event.payload) == {
        "task_id": task_id,
        "kind": "tests.raise",
        "error": task.error,
    }


@pytest.mark.slow
def test_system_check_refuses_parameters(worker: Worker) -> None:
    task_id = enqueue("system.check", {"verbose": True})
    task = _wait_finished(worker, task_id)

    assert task.status == TaskStatus.FAILED
    assert task.error == "system.check takes no parameters, got: verbose"
    assert len(_failed_events(task_id)) == 1


@pytest.mark.slow
def test_lost_worker_process_fails_the_task(worker: Worker) -> None:
    task_id = enqueue("tests.crash")
    task = _wait_finished(worker, task_id)

    assert task.status == TaskStatus.FAILED
    # Celery's main process or the sweeper, whichever notices the lost process first.
    assert "WorkerLostError" in task.error or "worker lost" in task.error
    assert task.progress == 20
    assert len(_failed_events(task_id)) == 1

    # The pool replaces the lost process; the worker goes on taking jobs.
    after = _wait_finished(worker, enqueue("system.check"))
    assert after.status == TaskStatus.SUCCEEDED, after.error


@pytest.mark.slow
def test_a_job_delivered_twice_runs_once(worker: Worker, tmp_path: Path) -> None:
    """Two copies of one message (a duplicate delivery, or a republish of a message that was
    still queued): the first claims the job, the second is acknowledged and skipped."""
    runs = tmp_path / "runs"
    with session_scope() as session:
        task_id = int(jobs.schedule(session, "tests.record", {"runs": str(runs)}).id)
    task = _task(task_id)
    RUNNER.publish(task.kind, task_id, str(task.celery_id))  # the second copy, same id

    done = _wait_finished(worker, task_id)
    assert done.status == TaskStatus.SUCCEEDED, done.error
    _wait_for(
        "the second copy skipped",
        lambda: f"cannot start task {task_id} (tests.record)" in worker.log_tail(400),
        worker,
    )
    assert runs.read_text().split() == [str(task_id)]
    assert _task(task_id).status == TaskStatus.SUCCEEDED


@pytest.mark.slow
def test_a_job_whose_start_meets_a_locked_database_is_started_again(
    worker: Worker, tmp_path: Path
) -> None:
    """Another process holds SQLite's write lock past the busy timeout when the worker takes
    the job: the worker says so, tries the start again a few seconds later, and the job runs
    once the lock is gone (before, the row stayed pending until the sweeper's republish)."""
    runs = tmp_path / "runs"
    with session_scope() as session:
        task = jobs.create_task(
            session, "tests.record", {"runs": str(runs)}, celery_id=str(uuid.uuid4())
        )
    task_id = int(task.id)
    locker = sqlite3.connect(make_url(worker.env["DATABASE_URL"]).database, isolation_level=None)
    try:
        locker.execute("BEGIN IMMEDIATE")
        RUNNER.publish(task.kind, task_id, str(task.celery_id))
        _wait_for(
            "the start tried again",
            lambda: (
                f"task {task_id}: the database could not record the job's start"
                in worker.log_tail(400)
            ),
            worker,
        )
        assert _task(task_id).status == TaskStatus.PENDING
    finally:
        locker.rollback()
        locker.close()

    done = _wait_finished(worker, task_id)
    assert done.status == TaskStatus.SUCCEEDED, done.error
    assert runs.read_text().split() == [str(task_id)]


# --- a worker killed outright, and a broker that goes away ------------------------------------


def _wait_for(what: str, check, worker: Worker, timeout: float = JOB_TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"{what} not seen within {timeout:g} s; worker log:\n{worker.log_tail()}")


def _kill(worker: Worker) -> None:
    """SIGKILL the whole worker, main process and pool: no code of it runs again."""
    os.killpg(worker.process.pid, signal.SIGKILL)
    worker.process.wait(10)


def _running(task_id: int):
    task = _task(task_id)
    return task if task.status == TaskStatus.RUNNING and task.progress == 50 else None


@pytest.mark.slow
def test_a_sigkilled_worker_loses_no_job(worker: Worker, tmp_path: Path) -> None:
    """The module's worker stays as it is; three more are started and killed on its data."""
    _stop(worker.process)  # one worker at a time, so we know who takes each job
    go_ahead, runs = tmp_path / "go-ahead", tmp_path / "runs"
    started: list[Worker] = []

    def start(name: str) -> Worker:
        started.append(_start_worker(worker.env, tmp_path / f"{name}.log", worker.broker))
        return started[-1]

    first = start("first")
    try:
        # A job that is safe to repeat is handed out again.
        again = enqueue("tests.hold", {"path": str(go_ahead), "runs": str(runs)})
        held = _wait_for("the first worker holding the job", lambda: _running(again), first)
        _kill(first)
        assert _task(again).status == TaskStatus.RUNNING  # nobody else marks it: it waits

        second = start("second")
        rerun = _wait_for(
            "the job handed out again",
            lambda: (t := _running(again)) and t.worker != held.worker and t,
            second,
        )
        assert rerun.redeliveries == 1 and rerun.celery_id != held.celery_id
        go_ahead.touch()
        done = _wait_finished(second, again)
        assert done.status == TaskStatus.SUCCEEDED, done.error
        assert done.result == {"runs": 2}  # once in the lost worker, once to the end
        assert _failed_events(again) == []

        # A job that is not safe to repeat is failed with the reason.
        go_ahead.unlink()
        once = enqueue("tests.hold_once", {"path": str(go_ahead)})
        lost = _wait_for("the second worker holding the job", lambda: _running(once), second)
        _kill(second)
        third = start("third")
        failed = _wait_finished(third, once)
        assert failed.status == TaskStatus.FAILED
        assert failed.error.startswith("worker lost: ")
        assert lost.worker in failed.error
        assert failed.progress == 50  # how far it got stays visible
        assert len(_failed_events(once)) == 1
    finally:
        for each in started:
            _stop(each.process)
        worker.process = _start_worker(worker.env, worker.log_path, worker.broker).process


@pytest.mark.slow
def test_a_job_requested_while_redis_is_down_runs_once_it_is_back(
    sqlite_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{port}/0")
    monkeypatch.setenv("CELERY_QUEUE", f"dobj-test-{uuid.uuid4().hex[:12]}")
    monkeypatch.setenv("CELERY_IMPORTS", TEST_JOBS_MODULE)
    for name, value in FAST_SWEEPS.items():
        monkeypatch.setenv(name, value)
    config.reload_settings()
    with redis_server(port, tmp_path):
        worker = _start_worker(dict(os.environ), tmp_path / "worker.log", "redis")
    try:
        # Redis is gone: the request is still recorded, and waits.
        task_id = enqueue("system.check")
        waiting = _task(task_id)
        assert (waiting.status, waiting.published_at) == (TaskStatus.PENDING, None)
        assert "waiting for the broker" in waiting.message
        with redis_server(port, tmp_path):
            # The worker reconnects; its sweeper hands the job over; it runs.
            task = _wait_finished(worker, task_id)
            assert task.status == TaskStatus.SUCCEEDED, task.error
            assert task.published_at is not None
    finally:
        _stop(worker.process)


def test_a_worker_that_does_not_push_never_loads_reflex(tmp_path: Path) -> None:
    """Without REFLEX_REDIS_URL a pool process has nothing to push: it needs no Reflex app."""
    env = {k: v for k, v in os.environ.items() if k != "REFLEX_REDIS_URL"}
    env["DATA_DIR"] = str(tmp_path)
    code = (
        "import sys\n"
        "import tasks.celery_app as app, tasks.dispatch, tasks.pipeline, tasks.sweeper\n"
        "app._push_to_open_pages()\n"
        "print(sorted(m for m in ('reflex', 'state', 'app') if m in sys.modules))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
