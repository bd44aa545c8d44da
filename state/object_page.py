"""State of the object page: the object, its editor, versions, diffs, restore, deploys and
how it is called over HTTP (visibility, URLs, curl).

The call console and durable storage live in `state.object_console`, the modification box
in `state.object_modify`. This state reads the object (one snapshot, on load and after each
change) and hands the console its part; the modification box reads modifications itself.
Saving and deploying start jobs in the backend; the page follows each job's row until it
ends (`_follow`), so both also show on the Tasks page.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial
from typing import TypeVar

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from backend.config import get_settings
from backend.errors import NotFound, ProductError
from backend.read_models.deploy_job import DeployJob, read_deploy_job
from backend.read_models.evaluations import EvaluationJob, EvaluationView, read_evaluation_job
from backend.read_models.object_page import (
    DeploymentRow,
    FileChange,
    HttpAccess,
    ObjectSnapshot,
    VersionRow,
    file_changes,
    last_log_line,
    read_object,
)
from backend.sandbox import sandbox_status
from state import object_data as data
from state.auth import AuthState, refusals_for
from state.object_console import ObjectConsoleState
from state.web_actor import Action
from state.wording import database_unreachable, does_not_parse_notice, sentence

logger = logging.getLogger(__name__)

SAVE = Action(busy="saving", error="save_error")
RESTORE = Action(busy="restoring", error="restore_error")
DEPLOY = Action(busy="deploying", error="deploy_error")
VISIBILITY = Action(busy="switching_visibility", error="visibility_error")
AUTO_ROLLBACK = Action(busy="switching_auto_rollback", error="auto_rollback_error")
Job = TypeVar("Job")


def slug_from_path(path: str) -> str:
    """`/objects/<slug>` -> `<slug>` (the route's one dynamic segment)."""
    return path.rstrip("/").rsplit("/", 1)[-1]


class ObjectPageState(rx.State):
    """One object; `object_slug` comes from the URL on load."""

    object_slug: str = ""
    name: str = ""
    description: str = ""
    kind: str = ""
    status: str = ""
    current_version: int = 0
    deployed_version: int = 0
    version_line: str = ""
    loaded: bool = False
    error: str = ""
    # What the backend's rules refuse this person about this object (by permission, "" where
    # allowed); rights that depend on no object are in AuthState.refusals.
    object_refusals: dict[str, str] = {}

    # editor
    files: dict[str, str] = {}
    file_names: list[str] = []
    active_file: str = "main.py"
    # The editor's text of each file changed since it was loaded, kept on the server only:
    # the editor owns the text while the person types (uncontrolled), so nothing typed is
    # sent back to it, and only `dirty` changes in the browser.
    _edited: dict[str, str] = {}
    dirty: bool = False
    save_message: str = ""
    save_intent: str = "change"
    saving: bool = False
    save_error: str = ""
    evaluating: bool = False
    evaluation_progress: int = 0
    evaluation_message: str = ""
    evaluation: EvaluationView = EvaluationView()
    evaluated_version: int = 0

    # versions and diffs
    versions: list[VersionRow] = []
    diff_from: str = ""
    diff_to: str = ""
    diff_files: list[FileChange] = []
    diff_error: str = ""
    side_by_side: bool = True
    restore_target: int = 0
    restoring: bool = False
    restore_error: str = ""

    # deployments
    deployments: list[DeploymentRow] = []
    deploying: bool = False
    deploy_error: str = ""
    deploy_task_id: int = 0
    deploy_target: int = 0
    deploy_progress: int = 0
    deploy_message: str = ""
    sandbox_tier: str = ""
    sandbox_message: str = ""
    sandbox_safe: bool = True

    # HTTP access
    is_public: bool = False
    auto_rollback: bool = False
    switching_auto_rollback: bool = False
    auto_rollback_error: str = ""
    http: HttpAccess = HttpAccess()
    switching_visibility: bool = False
    visibility_error: str = ""

    @rx.var
    def editor_path(self) -> str:
        """Monaco model name: a new version gets fresh models with its own text."""
        return f"{self.object_slug}/v{self.current_version}/{self.active_file}"

    @rx.var
    def active_text(self) -> str:
        return self.files.get(self.active_file, "")

    @rx.var
    def current_syntax_error(self) -> str:
        """Why the current version doesn't parse ("" when it does)."""
        return next((v.syntax_error for v in self.versions if v.number == self.current_version), "")

    @rx.var
    def version_numbers(self) -> list[str]:
        return [str(v.number) for v in self.versions]

    @rx.var
    def has_versions_to_diff(self) -> bool:
        return len(self.versions) > 1

    def _apply(self, snap: ObjectSnapshot) -> None:
        self.name, self.description, self.kind = snap.name, snap.description, snap.kind
        self.status = snap.status
        self.current_version, self.deployed_version = snap.current_version, snap.deployed_version
        self.version_line, self.is_public, self.http = snap.version_line, snap.is_public, snap.http
        self.auto_rollback = snap.auto_rollback
        self.files, self.file_names, self._edited = snap.files, sorted(snap.files), {}
        self.dirty = False
        if self.active_file not in snap.files:
            self.active_file = "main.py" if "main.py" in snap.files else self.file_names[0]
        self.versions, self.deployments = snap.versions, snap.deployments

    async def _reload(self, *, fresh: bool = False) -> ObjectSnapshot | None:
        """Read the object once and show it here and in the call console (`fresh`: the page
        was just loaded); None when it could not be read (`error` says why)."""
        try:
            snap = await asyncio.to_thread(read_object, self.object_slug)
        except NotFound as exc:
            self.error = sentence(exc)
            return None
        except (SQLAlchemyError, OSError) as exc:
            logger.warning("object %s could not be read: %s", self.object_slug, exc)
            self.error = database_unreachable(exc)
            return None
        self.error = ""
        self._apply(snap)
        auth = await self.get_state(AuthState)
        self.object_refusals = refusals_for(auth, owner_id=snap.owner_id or None)
        console = await self.get_state(ObjectConsoleState)
        console._show(snap.slug, snap.console, fresh=fresh)
        return snap

    @rx.event
    async def load(self):
        self.object_slug = slug_from_path(self.router.url.path)
        self.loaded = False
        self.save_error = self.deploy_error = self.restore_error = self.diff_error = ""
        self.visibility_error = ""
        # Nothing opens by itself: a dialog left open, or a job followed, before a reload or
        # another page is not brought back (a job still shows in Deployments and Tasks).
        self.restore_target, self.deploy_task_id, self.deploying = 0, 0, False
        self.diff_files, self.evaluated_version = [], 0
        self.diff_from = self.diff_to = ""
        self._follow_head(await self._reload(fresh=True))
        self.loaded = True
        yield
        status = await asyncio.to_thread(sandbox_status)
        self.sandbox_tier = status["tier"]
        self.sandbox_message = status["message"]
        self.sandbox_safe = bool(status["safe"])

    # --- editor ------------------------------------------------------------------------

    @rx.event
    def select_file(self, path: str) -> None:
        self.active_file = path

    @rx.event
    def set_code(self, text: str) -> None:
        self._edited = {**self._edited, self.active_file: text}
        self.dirty = any(self.files.get(path) != text for path, text in self._edited.items())

    @rx.event
    def set_save_message(self, value: str) -> None:
        self.save_message = value

    @rx.event
    def set_save_intent(self, value: str) -> None:
        self.save_intent = value

    @rx.event
    async def save(self):
        """ "Save as new version": the backend stores it and starts its evaluation job."""
        files, message = {**self.files, **self._edited}, self.save_message.strip()
        SAVE.begin(self)
        yield
        saved = await SAVE.run(
            self, data.save_version, self.object_slug, files, message, self.save_intent
        )
        if saved is None:
            return
        number, task_id = saved
        self.save_message = ""
        self._follow_head(await self._reload())
        if not task_id:  # not evaluated: it doesn't parse
            done = f"Saved {self.object_slug} v{number}"
            yield rx.toast.warning(does_not_parse_notice(done, self.current_syntax_error))
            return
        yield rx.toast.success(f"Saved {self.object_slug} v{number}; evaluating it.")
        yield ObjectPageState.follow_evaluation(number, task_id)

    async def _follow(
        self, read: Callable[[], Job], show: Callable[[Job], bool | None]
    ) -> Job | None:
        """In a background event: re-read a job with `read` until it ends. `show` puts each
        reading on the page (the state held) and says whether the job ended (True), is no
        longer followed here (False: the job is returned as None), or runs on (None)."""
        while True:
            try:
                job = await asyncio.to_thread(read)
            except (ProductError, SQLAlchemyError, OSError) as exc:
                logger.warning("a job of %s could not be read: %s", self.object_slug, exc)
            else:
                async with self:
                    ended = show(job)
                if ended is not None:
                    return job if ended else None
            await asyncio.sleep(get_settings().live_poll_seconds)

    def _show_evaluation(self, number: int, job: EvaluationJob) -> bool | None:
        if self.evaluated_version != number:
            return False  # another save replaced this one: its own loop follows it
        self.evaluation_progress, self.evaluation_message = job.progress, job.message
        if not job.finished:
            return None
        self.evaluating = False
        if job.error:
            self.save_error = f"The evaluation failed: {job.error}"
            return False
        self.evaluation = job.evaluation
        return True

    @rx.event(background=True)
    async def follow_evaluation(self, number: int, task_id: int):
        """Show the evaluation job's progress until it ends, then its verdict."""
        async with self:
            self.evaluating, self.evaluated_version = True, number
            self.evaluation_message = "waiting for a worker"
        job = await self._follow(
            partial(read_evaluation_job, task_id), partial(self._show_evaluation, number)
        )
        if job is None:
            return None
        verdict = "accepted" if job.evaluation.verdict == "accept" else "below the thresholds"
        return rx.toast.info(f"v{number} evaluated: {verdict} (overall {job.evaluation.overall}).")

    # --- diffs and restore -----------------------------------------------------------------

    def _follow_head(self, snap: ObjectSnapshot | None) -> None:
        """Show the newest change (previous version to current) unless another pair is picked
        (or the object could not be read)."""
        if snap is None or snap.current_version < 2:
            return
        head = snap.current_version
        if self.diff_to in ("", str(head - 1)):
            self.diff_from, self.diff_to = str(head - 1), str(head)
            self.diff_files, self.diff_error = snap.latest_change, ""

    async def _load_diff(self) -> None:
        try:
            a, b = int(self.diff_from), int(self.diff_to)
            self.diff_files = await asyncio.to_thread(file_changes, self.object_slug, a, b)
            self.diff_error = "" if a != b else "Pick two different versions."
        except (ValueError, ProductError) as exc:
            self.diff_files, self.diff_error = [], sentence(exc)

    @rx.event
    async def set_diff_from(self, value: str) -> None:
        self.diff_from = value
        await self._load_diff()

    @rx.event
    async def set_diff_to(self, value: str) -> None:
        self.diff_to = value
        await self._load_diff()

    @rx.event
    def toggle_side_by_side(self, value: bool) -> None:
        self.side_by_side = value

    @rx.event
    def ask_restore(self, number: int) -> None:
        self.restore_target, self.restore_error = number, ""

    @rx.event
    def cancel_restore(self) -> None:
        self.restore_target = 0

    @rx.event
    async def restore(self):
        """Restore (roll back to) `restore_target` as a new version; admins only."""
        number = self.restore_target
        RESTORE.begin(self)
        yield
        new = await RESTORE.run(self, data.restore, self.object_slug, number)
        if new is None:
            return
        self.restore_target = 0
        await self._reload()
        self.diff_from, self.diff_to = str(number), str(new)
        await self._load_diff()
        yield rx.toast.success(f"Restored v{number} as v{new}.")

    # --- deploy ------------------------------------------------------------------------

    @rx.event
    async def deploy(self):
        """Deploy the current version (tests run in the sandbox first) as a job; admins only."""
        number = self.current_version
        DEPLOY.begin(self)
        yield
        task_id = await DEPLOY.run(self, data.deploy, self.object_slug, number)
        if task_id is None:
            # The Deploy button sits in the page header: say it wherever the person looks.
            yield rx.toast.error(self.deploy_error)
            return
        yield rx.toast.info(f"Deploying {self.object_slug} v{number} (task {task_id}).")
        yield ObjectPageState.watch_deploy(task_id, number)

    @rx.event
    def watch_deploy(self, task_id: int, number: int):
        """Follow the deploy job `task_id` of version `number`, however it was asked for
        (the Deploy button, approve-and-deploy): its progress, then its outcome."""
        self.deploying, self.deploy_task_id, self.deploy_target = True, task_id, number
        self.deploy_progress, self.deploy_message = 0, "waiting for a worker"
        return ObjectPageState.follow_deploy(task_id)

    def _show_deploy(self, task_id: int, job: DeployJob) -> bool | None:
        if self.deploy_task_id != task_id:
            return False  # the page was reloaded or left: the job is no longer followed here
        self.deploy_progress, self.deploy_message = job.progress, job.message
        return True if job.finished else None

    @rx.event(background=True)
    async def follow_deploy(self, task_id: int):
        """Show the deploy job's progress until it ends, then the object as it is now."""
        job = await self._follow(
            partial(read_deploy_job, task_id), partial(self._show_deploy, task_id)
        )
        if job is None:
            return None
        async with self:
            self.deploying, self.deploy_task_id = False, 0
            # The console too: the live version may export other functions.
            await self._reload()
            slug, number = self.object_slug, self.deploy_target
            if job.error:
                self.deploy_error = f"The deployment could not run: {job.error}"
            elif job.status != "live":
                self.deploy_error = f"The deployment failed: {last_log_line(job.log)}"
        if job.status == "live":
            return rx.toast.success(f"{slug} v{number} is live.")
        return rx.toast.error(f"The deployment of v{number} failed; see its log.")

    @rx.event
    async def set_auto_rollback(self, enabled: bool):
        """Let a new version that fails noticeably more than the one before it roll back by
        itself (the system's action, with its reason), or have it offered to the owner."""
        AUTO_ROLLBACK.begin(self)
        yield
        done = await AUTO_ROLLBACK.run(self, data.set_auto_rollback, self.object_slug, enabled)
        if done is None:
            return
        await self._reload()
        yield rx.toast.success(
            f"A failing new version of {self.object_slug} "
            + ("now rolls back by itself." if done else "is now offered back to you.")
        )

    # --- HTTP access -----------------------------------------------------------------------

    @rx.event
    async def set_public(self, public: bool):
        """Make the object public (anyone may call it) or private (an API token is needed)."""
        VISIBILITY.begin(self)
        yield
        done = await VISIBILITY.run(self, data.set_visibility, self.object_slug, public)
        if done is None:
            return
        await self._reload()
        yield rx.toast.success(
            f"{self.object_slug} is {'public' if done else 'private'}: "
            + ("anyone may call it." if done else "calls need an API token.")
        )
