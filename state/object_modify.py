"""The modification box: a prompt starts the pipeline; its plan, attempts, scores and the
proposed diff appear as the worker records them (pushed, or re-read by the page's loop: see
state/live.py); admins approve (and may deploy in the same step), anyone may reject with a
reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import ClassVar

import reflex as rx

from backend.access import audit
from backend.enums import ModificationKind, ModificationStatus
from backend.models import Evaluation, Modification
from backend.pipeline import modifications
from backend.read_models.evaluations import EvaluationView
from backend.read_models.modifications import (
    Approval,
    ModificationDetail,
    ModificationView,
    read_approval,
    read_latest_modification,
)
from backend.read_models.object_page import FileChange
from state.live import LiveMixin, tables_of
from state.object_page import ObjectPageState, slug_from_path
from state.web_actor import Action
from state.wording import sentence

ACTIVE = {ModificationStatus.PLANNING, ModificationStatus.GENERATING, ModificationStatus.EVALUATING}

REQUEST = Action(busy="starting", error="start_error")
# Approving and rejecting share one flag and one error line: one decision at a time.
APPROVE = Action(busy="deciding", error="decide_error")
REJECT = Action(busy="deciding", error="decide_error")


def _start(slug: str, prompt: str, actor: audit.Actor) -> tuple[int, int]:
    """Request the change (the backend starts its job); returns (modification, task) ids."""
    modification = modifications.request_modification(slug, prompt, actor=actor)
    return int(modification.id), int(modification.task_id)


def _approve(modification_id: int, deploy: bool, actor: audit.Actor) -> Approval:
    """Approve the change (with `deploy`, asking for its deploy job in the same step)."""
    modification, task = modifications.approve(modification_id, actor=actor, deploy=deploy)
    return read_approval(modification, task)


class ObjectModifyState(LiveMixin, rx.State):
    live_tables: ClassVar[frozenset[str]] = tables_of(Modification, Evaluation)
    object_slug: str = ""
    # Why no change can be asked for ("" when an LLM is configured), said before writing one.
    llm_missing: str = ""
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

    def _live_query(self) -> Callable[[], ModificationDetail]:
        return partial(read_latest_modification, self.object_slug)

    def _live_apply(self, data: ModificationDetail) -> None:
        self.modification, self.attempts, self.proposed = (
            data.modification,
            data.attempts,
            data.proposed,
        )

    async def _refresh(self) -> None:
        self._live_apply(await asyncio.to_thread(read_latest_modification, self.object_slug))

    @rx.event
    def load(self):
        self.object_slug = slug_from_path(self.router.url.path)
        self.start_error = self.decide_error = ""
        self.llm_missing = sentence(modifications.llm_missing(ModificationKind.MODIFY))
        self._live_apply(ModificationDetail())
        return ObjectModifyState.start_live

    @rx.event
    def set_prompt(self, value: str) -> None:
        self.prompt = value

    @rx.event
    def set_reject_reason(self, value: str) -> None:
        self.reject_reason = value

    @rx.event
    async def request(self):
        REQUEST.begin(self)
        yield
        started = await REQUEST.run(self, _start, self.object_slug, self.prompt)
        if started is None:
            return
        modification_id, self.task_id = started
        # A new change: what was said about the last one's decision no longer applies.
        self.prompt, self.decide_error = "", ""
        await self._refresh()
        yield rx.toast.info(f"Modification {modification_id} started (task {self.task_id}).")

    @rx.event
    async def approve(self, deploy: bool = False):
        """Approve the waiting change; with `deploy`, also ask for the job deploying the
        version it becomes, which the page then follows as it follows any deploy job."""
        APPROVE.begin(self)
        yield
        done = await APPROVE.run(self, _approve, self.modification.id, deploy)
        await self._refresh()
        if done is None:
            return  # refused: one step, so nothing was approved either (decide_error says why)
        if done.deploy_task_id:
            yield rx.toast.info(f"Approved as v{done.version}; deploying it now.")
        else:
            yield rx.toast.success(
                f"Approved: the change is the object's new version, v{done.version}."
            )
        yield ObjectPageState.load
        if done.deploy_task_id:
            yield ObjectPageState.watch_deploy(done.deploy_task_id, done.version)

    @rx.event
    async def reject(self):
        REJECT.begin(self)
        yield
        rejected = await REJECT.run(
            self, modifications.reject, self.modification.id, self.reject_reason
        )
        if rejected is None:
            return
        await self._refresh()
        self.reject_reason = ""
        yield rx.toast.info("Rejected; the reason goes into later requests.")
