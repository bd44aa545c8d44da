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

from backend import audit
from backend.enums import ModificationKind, ModificationStatus
from backend.models import Evaluation, Modification
from backend.pipeline import modifications
from backend.read_models.evaluations import EvaluationView
from backend.read_models.modifications import (
    Approval,
    ModificationDetail,
    ModificationView,
    approval_of,
    read_latest_modification,
)
from backend.read_models.object_page import FileChange, last_log_line
from state.live import LiveMixin, tables_of
from state.object_console import ObjectConsoleState
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
    """Approve (and deploy) the change; a failed deployment is a result, not an error."""
    modification, deployment = modifications.approve(modification_id, actor=actor, deploy=deploy)
    return approval_of(modification, deployment)


def _deploy_failed(done: Approval) -> str:
    """Why an approved change is not live, and what serves instead."""
    serving = (
        f"v{done.live_version} is still live." if done.live_version else "Nothing is live yet."
    )
    return (
        f"The change is approved as v{done.version}, but its deployment failed: "
        f"{last_log_line(done.log).rstrip('.')}. {serving}"
    )


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
        """Approve the waiting change; with `deploy`, also deploy the version it becomes."""
        APPROVE.begin(self)
        yield
        done = await APPROVE.run(self, _approve, self.modification.id, deploy)
        await self._refresh()
        approved = self.modification.result_version
        if done is None:
            # The approval may have gone through before the deployment was refused (e.g. a
            # deprecated object): then the page must show the new version, and say so.
            if deploy and approved:
                self.decide_error = (
                    f"The change is approved as v{approved} but was not deployed: "
                    f"{self.decide_error}"
                )
        elif not done.deployment:
            yield rx.toast.success(
                f"Approved: the change is the object's new version, v{done.version}."
            )
        elif done.deployment == "live":
            yield rx.toast.success(f"Approved and deployed: v{done.version} is live.")
        else:
            self.decide_error = _deploy_failed(done)
            yield rx.toast.error(f"v{done.version} is approved, but its deployment failed.")
        if approved:
            yield ObjectPageState.load
        if done is not None and done.deployment:
            yield ObjectConsoleState.refresh

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
