"""A modification in full as the object page's modification box shows it: its plan, scored
attempts and proposed change (`records.ModificationRecord` is its one-record JSON form)."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlmodel import Session

from backend.db import session_scope
from backend.models import Modification, ObjectVersion, Task
from backend.pipeline import modifications
from backend.read_models.evaluations import EvaluationView, evaluation_view
from backend.read_models.object_page import FileChange, changes_between


@dataclasses.dataclass
class ModificationView:
    id: int = 0
    status: str = ""
    prompt: str = ""
    plan_summary: str = ""
    plan_steps: list[str] = dataclasses.field(default_factory=list)
    attempts: int = 0
    error: str = ""
    rejection_reason: str = ""
    base_version: int = 0  # the version the change was planned on; approving makes the next
    result_version: int = 0  # the version it became, once approved


@dataclasses.dataclass
class ModificationDetail:
    """A modification with its scored attempts and its proposed change (empty: none yet)."""

    modification: ModificationView = dataclasses.field(default_factory=ModificationView)
    attempts: list[EvaluationView] = dataclasses.field(default_factory=list)
    proposed: list[FileChange] = dataclasses.field(default_factory=list)


def modification_detail(session: Session, m: Modification) -> ModificationDetail:
    plan: dict[str, Any] = m.plan or {}
    base = session.get(ObjectVersion, m.base_version_id) if m.base_version_id else None
    result = session.get(ObjectVersion, m.result_version_id) if m.result_version_id else None
    view = ModificationView(
        id=m.id or 0,
        status=str(m.status),
        prompt=m.prompt,
        plan_summary=str(plan.get("summary", "")),
        plan_steps=[str(step) for step in plan.get("steps", [])],
        attempts=m.attempts,
        error=m.error or "",
        rejection_reason=m.rejection_reason or "",
        base_version=base.number if base else 0,
        result_version=result.number if result else 0,
    )
    attempts = [evaluation_view(e) for e in modifications.evaluations_of(session, m.id)]
    proposed: list[FileChange] = []
    if m.proposed_files:
        old = base.files if base else {}
        proposed = changes_between(modifications.proposed_diff(session, m), old, m.proposed_files)
    return ModificationDetail(view, attempts, proposed)


def read_latest_modification(slug: str) -> ModificationDetail:
    """The object's newest modification in full (an empty detail when there is none)."""
    with session_scope() as session:
        found = modifications.list_modifications(session, slug=slug, limit=1)
        return modification_detail(session, found[0]) if found else ModificationDetail()


@dataclasses.dataclass
class Creation:
    """A creation from scratch as the objects page's dialog follows it: its job and its row."""

    task_id: int
    task_status: str
    progress: int
    message: str
    status: str
    error: str


def read_creation(modification_id: int, task_id: int) -> Creation:
    with session_scope() as session:
        task = session.get(Task, task_id)
        modification = session.get(Modification, modification_id)
        return Creation(
            task_id=task_id,
            task_status=str(task.status) if task else "pending",
            progress=int(task.progress) if task else 0,
            message=(task.message or task.error or "") if task else "",
            status=str(modification.status) if modification else "",
            error=(modification.error or "") if modification else "",
        )


@dataclasses.dataclass
class Approval:
    """What approving did: the version the change became and the job deploying it, if any."""

    version: int
    deploy_task_id: int = 0  # the deploy job asked for with the approval; 0 when none


def read_approval(modification: Modification, deploy_task: Task | None) -> Approval:
    """The outcome of `modifications.approve`, read back as the page shows it."""
    with session_scope() as session:
        version = session.get(ObjectVersion, modification.result_version_id)
        number = version.number if version else 0
    return Approval(number, int(deploy_task.id) if deploy_task is not None else 0)
