"""The modification box: a prompt starts the pipeline; its plan, attempts, scores and the
proposed diff appear as the worker records them (a LiveMixin loop re-reads the rows every
half second while the tab shows the page); admins approve, anyone may reject with a reason.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar

import reflex as rx

from backend.db import session_scope
from backend.enums import ModificationStatus
from backend.errors import ProductError
from backend.models import Evaluation, Modification, ObjectVersion
from backend.pipeline import modifications
from state.evaluation_view import EvaluationView, evaluation_view
from state.live import LiveMixin, tables_of
from state.object_data import FileChange
from state.object_page import ObjectPageState, slug_from_path
from state.web_actor import sentence, web_actor
from tasks.dispatch import enqueue

ACTIVE = {ModificationStatus.PLANNING, ModificationStatus.GENERATING, ModificationStatus.EVALUATING}


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


def _latest(slug: str) -> tuple[ModificationView, list[EvaluationView], list[FileChange]]:
    """The object's newest modification, its scored attempts and its proposed change."""
    with session_scope() as session:
        found = modifications.list_modifications(session, slug=slug, limit=1)
        if not found:
            return ModificationView(), [], []
        m = found[0]
        plan: dict[str, Any] = m.plan or {}
        view = ModificationView(
            id=m.id or 0,
            status=str(m.status),
            prompt=m.prompt,
            plan_summary=str(plan.get("summary", "")),
            plan_steps=[str(step) for step in plan.get("steps", [])],
            attempts=m.attempts,
            error=m.error or "",
            rejection_reason=m.rejection_reason or "",
        )
        attempts = [evaluation_view(e) for e in modifications.evaluations_of(session, m.id)]
        changes: list[FileChange] = []
        if m.proposed_files:
            base = session.get(ObjectVersion, m.base_version_id).files if m.base_version_id else {}
            for d in modifications.proposed_diff(session, m):
                changes.append(
                    FileChange(
                        path=d.path,
                        change=d.change,
                        added=d.added_lines,
                        removed=d.removed_lines,
                        old=base.get(d.path, ""),
                        new=m.proposed_files.get(d.path, ""),
                    )
                )
        return view, attempts, changes


def _start(slug: str, prompt: str, actor) -> tuple[int, int]:
    modification = modifications.request_modification(slug, prompt, actor=actor)
    try:
        task_id = enqueue("modification.run", {"modification_id": modification.id})
    except ProductError as exc:
        modifications.fail(int(modification.id), str(exc))
        raise
    return int(modification.id), task_id


class ObjectModifyState(LiveMixin, rx.State):
    live_tables: ClassVar[frozenset[str]] = tables_of(Modification, Evaluation)
    object_slug: str = ""
    prompt: str = ""
    starting: bool = False
    start_error: str = ""
    task_id: int = 0
    modification: ModificationView = ModificationView()
    attempts: list[EvaluationView] = []
    proposed: list[FileChange] = []
    reject_reason: str = ""
    deciding: bool = False
    decide_error: str = ""

    @rx.var
    def running(self) -> bool:
        return self.modification.status in {s.value for s in ACTIVE}

    @rx.var
    def awaiting(self) -> bool:
        return self.modification.status == ModificationStatus.AWAITING_APPROVAL.value

    def _live_query(self) -> Callable[[], Any]:
        slug = self.object_slug
        return lambda: _latest(slug)

    def _live_apply(self, data: Any) -> None:
        self.modification, self.attempts, self.proposed = data

    @rx.event
    def load(self):
        self.object_slug = slug_from_path(self.router.url.path)
        self.start_error = self.decide_error = ""
        self.modification, self.attempts, self.proposed = ModificationView(), [], []
        return ObjectModifyState.start_live

    @rx.event
    def set_prompt(self, value: str) -> None:
        self.prompt = value

    @rx.event
    def set_reject_reason(self, value: str) -> None:
        self.reject_reason = value

    @rx.event
    async def request(self):
        actor, _ = await web_actor(self)
        if actor is None:
            self.start_error = "Log in first."
            return
        self.starting, self.start_error = True, ""
        yield
        try:
            modification_id, self.task_id = await asyncio.to_thread(
                _start, self.object_slug, self.prompt, actor
            )
        except ProductError as exc:
            self.start_error = sentence(exc)
            self.starting = False
            return
        self.starting, self.prompt = False, ""
        self.modification, self.attempts, self.proposed = await asyncio.to_thread(
            _latest, self.object_slug
        )
        yield rx.toast.info(f"Modification {modification_id} started (task {self.task_id}).")

    @rx.event
    async def approve(self):
        actor, auth = await web_actor(self)
        refusal = auth.check_admin()
        if actor is None or refusal:
            self.decide_error = refusal.replace("do this", "approve a change")
            return
        self.deciding, self.decide_error = True, ""
        yield
        try:
            await asyncio.to_thread(
                modifications.approve, self.modification.id, actor=actor, deploy=False
            )
        except ProductError as exc:
            self.decide_error = sentence(exc)
            self.deciding = False
            return
        self.deciding = False
        self.modification, self.attempts, self.proposed = await asyncio.to_thread(
            _latest, self.object_slug
        )
        yield rx.toast.success("Approved: the change is the object's new version.")
        yield ObjectPageState.load

    @rx.event
    async def reject(self):
        actor, _ = await web_actor(self)
        if actor is None:
            self.decide_error = "Log in first."
            return
        self.deciding, self.decide_error = True, ""
        yield
        try:
            await asyncio.to_thread(
                modifications.reject, self.modification.id, self.reject_reason, actor=actor
            )
        except ProductError as exc:
            self.decide_error = sentence(exc)
            self.deciding = False
            return
        self.deciding, self.reject_reason = False, ""
        self.modification, self.attempts, self.proposed = await asyncio.to_thread(
            _latest, self.object_slug
        )
        yield rx.toast.info("Rejected; the reason goes into later requests.")
