"""State of the objects page: the searchable list, "New object" and "Create from scratch".

The list and a running creation's progress are live (state/live.py): pushed by the worker
with Redis, re-read every half second without.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import reflex as rx

from app import routes
from backend.access import audit
from backend.enums import ModificationKind, ObjectKind
from backend.models import DurableObject, Modification, Task
from backend.objects import store
from backend.pipeline import modifications
from backend.read_models.modifications import Creation, read_creation
from backend.read_models.object_list import ObjectRow, read_object_rows
from state.live import LiveMixin, tables_of
from state.web_actor import Action
from state.wording import does_not_parse_notice, sentence

KINDS = [kind.value for kind in ObjectKind]
FINISHED = {"succeeded", "failed"}
CREATE = Action(busy="new_busy", error="new_error")
START_CREATION = Action(busy="scratch_busy", error="scratch_error")


def _files(form: dict) -> dict[str, str]:
    """main.py, plus test_main.py when tests were typed or pasted."""
    files = {"main.py": str(form.get("main_py", ""))}
    tests = str(form.get("tests_py", ""))
    if tests.strip():
        files["test_main.py"] = tests
    return files


def _create(form: dict, actor: audit.Actor) -> tuple[str, bool]:
    """Create the object; (what to say, whether its code parses)."""
    version = store.create_object(
        slug=str(form.get("slug", "")).strip(),
        name=str(form.get("name", "")),
        description=str(form.get("description", "")).strip(),
        kind=str(form.get("kind", "") or ObjectKind.ENDPOINT),
        files=_files(form),
        owner_id=actor.user_id,
        actor=actor,
    )
    done = f"Created {form.get('slug')} v{version.number}"
    if version.syntax_error:
        return does_not_parse_notice(done, version.syntax_error), False
    return done + ".", True


def _start_creation(form: dict, actor: audit.Actor) -> tuple[int, int]:
    """Record the creation request and hand it to a worker; returns (modification, task) ids."""
    modification = modifications.request_creation(
        slug=str(form.get("slug", "")).strip(),
        name=str(form.get("name", "")),
        description=str(form.get("description", "")),
        requirements=str(form.get("requirements", "")),
        actor=actor,
    )
    return int(modification.id), int(modification.task_id)


def _read_page(modification_id: int, task_id: int) -> tuple[list[ObjectRow], Creation | None]:
    """The objects, and the creation the tab follows (if any)."""
    creation = read_creation(modification_id, task_id) if task_id else None
    return read_object_rows(), creation


class ObjectListState(LiveMixin, rx.State):
    """The objects list and the two ways to add an object."""

    live_tables: ClassVar[frozenset[str]] = tables_of(DurableObject, Task, Modification)

    objects: list[ObjectRow] = []
    loaded: bool = False
    search: str = ""

    new_open: bool = False
    new_error: str = ""
    new_busy: bool = False

    scratch_open: bool = False
    # Why nothing can be written from scratch ("" when an LLM is configured), said up front.
    scratch_llm_missing: str = ""
    scratch_error: str = ""
    scratch_busy: bool = False
    scratch_slug: str = ""
    scratch_modification_id: int = 0
    scratch_task_id: int = 0
    scratch_task_status: str = ""
    scratch_progress: int = 0
    scratch_message: str = ""
    scratch_status: str = ""

    @rx.var
    def filtered(self) -> list[ObjectRow]:
        needle = self.search.strip().lower()
        if not needle:
            return self.objects
        return [o for o in self.objects if needle in o.slug.lower() or needle in o.name.lower()]

    @rx.var
    def has_objects(self) -> bool:
        return len(self.objects) > 0

    @rx.var
    def scratch_running(self) -> bool:
        return self.scratch_task_id > 0 and self.scratch_task_status not in FINISHED

    def _live_query(self) -> Callable[[], tuple[list[ObjectRow], Creation | None]]:
        modification_id, task_id = self.scratch_modification_id, self.scratch_task_id
        return lambda: _read_page(modification_id, task_id)

    def _live_apply(self, data: tuple[list[ObjectRow], Creation | None]) -> None:
        rows, creation = data
        if rows != self.objects:
            self.objects = rows
        self.loaded = True
        if creation is None or creation.task_id != self.scratch_task_id:
            return  # no creation followed, or another one replaced it meanwhile
        self.scratch_task_status = creation.task_status
        self.scratch_progress = creation.progress
        self.scratch_message = creation.message
        self.scratch_status = creation.status
        if creation.error:
            self.scratch_error = sentence(Exception(creation.error))

    @rx.event
    def load(self):
        """on_load: the dialogs open only when asked (one left open before a reload or another
        page stays closed), then the list goes live."""
        self.new_open = self.scratch_open = False
        self.new_error = ""
        self.scratch_llm_missing = sentence(modifications.llm_missing(ModificationKind.CREATE))
        return ObjectListState.start_live

    @rx.event
    def set_search(self, value: str) -> None:
        self.search = value

    @rx.event
    def set_new_open(self, value: bool) -> None:
        self.new_open, self.new_error = value, ""

    @rx.event
    def set_scratch_open(self, value: bool) -> None:
        self.scratch_open = value
        if not self.scratch_running:
            self.scratch_error = ""

    @rx.event
    async def create(self, form: dict):
        """ "New object" submit: slug, name, description, kind, main_py."""
        CREATE.begin(self)
        yield
        created = await CREATE.run(self, _create, form)
        if created is None:
            return
        message, parses = created
        self.new_open = False
        slug = str(form.get("slug", "")).strip()
        toast = rx.toast.success(message) if parses else rx.toast.warning(message)
        yield [toast, rx.redirect(routes.object_url(slug))]

    @rx.event
    async def create_from_scratch(self, form: dict):
        """ "Create from scratch" submit: starts the creation pipeline as a background job."""
        START_CREATION.begin(self)
        yield
        started = await START_CREATION.run(self, _start_creation, form)
        if started is None:
            return
        self.scratch_slug = str(form.get("slug", "")).strip()
        self.scratch_modification_id, self.scratch_task_id = started
        self.scratch_task_status, self.scratch_progress, self.scratch_message = "pending", 0, ""
        self.scratch_status = "planning"
        yield rx.toast.info(f"Writing {self.scratch_slug}: task {self.scratch_task_id} started.")
        yield ObjectListState.refresh_live
