"""Read-only views for the web pages: counts, recent events, the audit log, open tasks."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from backend.background.jobs import OPEN_STATUSES
from backend.enums import ModificationStatus, ObjectStatus, TaskStatus
from backend.errors import InvalidInput
from backend.models import AuditEntry, DurableObject, Event, Modification, Task

LIMIT_MAX = 500


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= LIMIT_MAX:
        raise InvalidInput(f"limit must be between 1 and {LIMIT_MAX}, not {limit}")


def counts(session: Session) -> dict[str, int]:
    """Objects by status (every status, zero included), the total, modifications awaiting
    approval, and tasks running or waiting for a worker."""
    by_status = dict(
        session.exec(
            select(DurableObject.status, func.count()).group_by(DurableObject.status)
        ).all()
    )
    result = {f"objects_{status.value}": int(by_status.get(status, 0)) for status in ObjectStatus}
    result["objects"] = sum(int(n) for n in by_status.values())
    result["awaiting_approval"] = session.exec(
        select(func.count())
        .select_from(Modification)
        .where(Modification.status == ModificationStatus.AWAITING_APPROVAL)
    ).one()
    result["tasks_running"] = session.exec(
        select(func.count()).select_from(Task).where(Task.status == TaskStatus.RUNNING)
    ).one()
    result["tasks_pending"] = session.exec(
        select(func.count()).select_from(Task).where(Task.status == TaskStatus.PENDING)
    ).one()
    return result


def open_tasks(session: Session, limit: int = 50) -> list[Task]:
    """Pending and running tasks, newest first."""
    _check_limit(limit)
    statement = (
        select(Task)
        .where(col(Task.status).in_(list(OPEN_STATUSES)))
        .order_by(col(Task.created_at).desc(), col(Task.id).desc())
        .limit(limit)
    )
    return list(session.exec(statement))


def latest_tasks(session: Session, *, status: str | None = None, limit: int = 100) -> list[Task]:
    """Tasks newest first, optionally of one status."""
    _check_limit(limit)
    statement = select(Task)
    if status:
        statement = statement.where(Task.status == status)
    statement = statement.order_by(col(Task.created_at).desc(), col(Task.id).desc()).limit(limit)
    return list(session.exec(statement))


def latest_events(session: Session, name: str | None = None, limit: int = 50) -> list[Event]:
    """Events newest first, optionally with one name."""
    _check_limit(limit)
    statement = select(Event)
    if name:
        statement = statement.where(Event.name == name)
    statement = statement.order_by(col(Event.created_at).desc(), col(Event.id).desc()).limit(limit)
    return list(session.exec(statement))


def latest_audit(session: Session, action: str | None = None, limit: int = 100) -> list[AuditEntry]:
    """Audit entries newest first, optionally of one action."""
    _check_limit(limit)
    statement = select(AuditEntry)
    if action:
        statement = statement.where(AuditEntry.action == action)
    statement = statement.order_by(
        col(AuditEntry.created_at).desc(), col(AuditEntry.id).desc()
    ).limit(limit)
    return list(session.exec(statement))


def distinct_values(session: Session, column) -> list[str]:
    """The distinct values of a string column, sorted (for filter menus)."""
    return sorted(str(v) for v in session.exec(select(column).distinct()).all() if v)
