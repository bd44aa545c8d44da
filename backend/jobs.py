"""The life of a background job's `Task` row: the one place that changes Task rows.

A Task row is what a person sees of a background job: what it is, how far it got and how it
ended. The row is created before the job is handed to the broker, and every later step is
one short transaction of its own, so a browser polling the row sees progress within a
second, whichever process (web, worker, CLI) made it.

Lifecycle: pending -> running -> succeeded | failed (pending may go straight to either end).
A finished task is final: marking it again raises `Conflict`. Each transition is a single
conditional UPDATE (`... WHERE status IN (allowed)`), so two processes racing to finish the
same task cannot both win, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from backend import events
from backend.db import session_scope
from backend.enums import EventName, TaskStatus
from backend.errors import Conflict, InvalidInput, NotFound
from backend.models import Task, utcnow

#: Statuses a task can still leave.
OPEN_STATUSES = (TaskStatus.PENDING, TaskStatus.RUNNING)
#: Statuses a task never leaves.
FINISHED_STATUSES = (TaskStatus.SUCCEEDED, TaskStatus.FAILED)

KIND_MAX_LENGTH = 64
#: Longest error text kept on the row and in the task.failed event; tracebacks can be huge.
ERROR_MAX_LENGTH = 10_000
LATEST_MAX = 500


def _json_object(value: Any, what: str) -> dict[str, Any]:
    """Refuse anything that is not a JSON object, before it reaches a JSON column."""
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be a JSON object (a dict), not {type(value).__name__}")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{what} is not JSON-serialisable: {exc}") from exc
    return value


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    suffix = f"... [clipped; {len(text)} characters in all]"
    return text[: limit - len(suffix)] + suffix


def _transition(
    session: Session, task_id: int, allowed: Iterable[str], action: str, **values: Any
) -> Task:
    """Apply `values` to the task if its status is one of `allowed`, else explain why not.

    The UPDATE is the first statement of the transaction, so on SQLite it takes the write
    lock straight away (no stale read to upgrade) and on PostgreSQL it locks the row.
    """
    result = session.execute(
        update(Task)
        .where(col(Task.id) == task_id, col(Task.status).in_(list(allowed)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    task = session.get(Task, task_id, populate_existing=True)
    if task is None:
        raise NotFound(f"task {task_id} does not exist")
    if result.rowcount == 0:
        raise Conflict(
            f"cannot {action} task {task_id} ({task.kind}): it is already {task.status}"
            + (" and finished tasks are final" if task.status in FINISHED_STATUSES else "")
        )
    return task


def create_task(
    session: Session,
    kind: str,
    params: dict[str, Any] | None = None,
    *,
    celery_id: str | None = None,
) -> Task:
    """Add a pending Task row to `session` and flush it, so its id is known.

    The caller commits (usually by leaving `session_scope()`): a job must not be handed to a
    broker before its row is visible to the worker that will pick it up.
    """
    kind = (kind or "").strip()
    if not kind:
        raise InvalidInput("a task needs a kind, e.g. 'system.check'")
    if len(kind) > KIND_MAX_LENGTH:
        raise InvalidInput(f"task kind is longer than {KIND_MAX_LENGTH} characters: {kind!r}")
    task = Task(
        kind=kind,
        params=_json_object(params if params is not None else {}, "task params"),
        status=TaskStatus.PENDING,
        progress=0,
        message="waiting for a worker",
        celery_id=celery_id,
    )
    session.add(task)
    session.flush()
    return task


def mark_running(task_id: int) -> Task:
    """A worker started the task. Allowed again on a running task (a redelivered job)."""
    with session_scope() as session:
        return _transition(
            session,
            task_id,
            OPEN_STATUSES,
            "start",
            status=TaskStatus.RUNNING,
            started_at=utcnow(),
            message="started",
            error=None,
        )


def report_progress(task_id: int, progress: int, message: str = "") -> Task:
    """Record how far an open task got (clamped to 0-100), committed at once.

    The status is left as it is; only open tasks take progress reports.
    """
    clamped = max(0, min(100, int(progress)))
    with session_scope() as session:
        return _transition(
            session, task_id, OPEN_STATUSES, "report progress on", progress=clamped, message=message
        )


def mark_succeeded(task_id: int, result: dict[str, Any], message: str = "") -> Task:
    """The task finished well: keep its result (a JSON object) and set progress to 100."""
    result = _json_object(result, "task result")
    with session_scope() as session:
        return _transition(
            session,
            task_id,
            OPEN_STATUSES,
            "mark succeeded",
            status=TaskStatus.SUCCEEDED,
            progress=100,
            result=result,
            error=None,
            message=message or "done",
            finished_at=utcnow(),
        )


def mark_failed(task_id: int, error: str) -> Task:
    """The task failed: keep the reason and record a `task.failed` event, in one transaction.

    Progress is left where the task got to, so a person sees how far it went.
    """
    error = _clip(str(error).strip() or "failed without a reason given", ERROR_MAX_LENGTH)
    with session_scope() as session:
        task = _transition(
            session,
            task_id,
            OPEN_STATUSES,
            "mark failed",
            status=TaskStatus.FAILED,
            error=error,
            message=_clip(f"failed: {error.splitlines()[0]}", 300),
            finished_at=utcnow(),
        )
        events.emit(
            session,
            EventName.TASK_FAILED,
            {"task_id": task.id, "kind": task.kind, "error": error},
        )
        return task


def get_task(session: Session, task_id: int) -> Task:
    """The task with this id, or `NotFound`."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"task {task_id} does not exist")
    return task


def latest_tasks(session: Session, limit: int = 20) -> list[Task]:
    """The newest tasks first (at most `limit`, which must be 1-500)."""
    if not 1 <= limit <= LATEST_MAX:
        raise InvalidInput(f"limit must be between 1 and {LATEST_MAX}, not {limit}")
    statement = select(Task).order_by(col(Task.created_at).desc(), col(Task.id).desc()).limit(limit)
    return list(session.exec(statement))
