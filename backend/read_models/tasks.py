"""Background jobs as people see them: what runs, how far it got, how it ended."""

from __future__ import annotations

import dataclasses

from sqlmodel import Session

from backend.db import session_scope
from backend.models import Task
from backend.read_models import queries
from backend.read_models.display import when


@dataclasses.dataclass
class TaskRow:
    id: int
    kind: str
    status: str
    progress: int
    message: str  # the first line of its error when it failed, else its progress message
    created: str
    finished: str


def task_row(task: Task) -> TaskRow:
    return TaskRow(
        id=task.id or 0,
        kind=task.kind,
        status=str(task.status),
        progress=int(task.progress),
        message=task.error.splitlines()[0] if task.error else task.message,
        created=when(task.created_at, seconds=True),
        finished=when(task.finished_at, seconds=True),
    )


def open_task_rows(session: Session, limit: int = 50) -> list[TaskRow]:
    """Pending and running tasks, newest first."""
    return [task_row(t) for t in queries.open_tasks(session, limit=limit)]


def read_tasks(status: str | None = None, limit: int = 100) -> list[TaskRow]:
    """Tasks newest first, optionally of one status."""
    with session_scope() as session:
        return [task_row(t) for t in queries.latest_tasks(session, status=status, limit=limit)]
