"""`tasks.base`: a job whose start the database can't record is tried again, then failed with
the reason (run eagerly here; tests/backend/background/test_jobs.py does it in a real worker)."""

from __future__ import annotations

import pytest
from sqlalchemy import exc as sa_exc

from backend.background import jobs
from backend.db import session_scope
from backend.enums import TaskStatus
from tasks import base
from tasks.system import check


def _pending(kind: str = "system.check") -> int:
    with session_scope() as session:
        return int(jobs.create_task(session, kind).id)


def _locked(*_: object, **__: object) -> None:
    raise sa_exc.OperationalError("UPDATE task ...", {}, Exception("database is locked"))


def test_a_start_the_database_never_records_ends_failed_with_the_reason(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    task_id = _pending()
    tries: list[int] = []

    def locked(task: int, **kwargs: object) -> None:
        tries.append(task)
        _locked()

    monkeypatch.setattr(jobs, "mark_running", locked)
    outcome = check.apply(args=[task_id])

    assert isinstance(outcome.result, base.StartNotRecorded)
    assert tries == [task_id] * (base.START_RETRIES + 1)
    with session_scope() as session:
        task = jobs.get_task(session, task_id)
    assert task.status == TaskStatus.FAILED
    assert task.error.startswith(
        "the database could not record the job's start: OperationalError: "
    ), task.error
    assert "database is locked" in task.error


def test_a_start_recorded_on_a_later_try_runs_the_job_once(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    task_id = _pending()
    real, tries = jobs.mark_running, []

    def locked_once(task: int, **kwargs: object):
        tries.append(task)
        if len(tries) == 1:
            _locked()
        return real(task, **kwargs)

    monkeypatch.setattr(jobs, "mark_running", locked_once)
    check.apply(args=[task_id])

    assert tries == [task_id, task_id]
    with session_scope() as session:
        task = jobs.get_task(session, task_id)
    assert task.status == TaskStatus.SUCCEEDED, task.error
    assert task.result["database"]["ok"] is True


def test_other_errors_at_the_start_are_not_retried(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    task_id, tries = _pending(), []

    def broken(task: int, **kwargs: object) -> None:
        tries.append(task)
        raise ValueError("a bug, not a busy database")

    monkeypatch.setattr(jobs, "mark_running", broken)
    outcome = check.apply(args=[task_id])

    assert isinstance(outcome.result, ValueError)
    assert tries == [task_id]
    with session_scope() as session:
        assert jobs.get_task(session, task_id).error == "ValueError: a bug, not a busy database"
