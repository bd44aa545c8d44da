"""State of the settings page's "Event sources" card: other systems allowed to report
events; an admin creates one (its key shown once), lists and revokes them."""

from __future__ import annotations

import reflex as rx

from backend.access import audit
from backend.events import sources as event_sources
from backend.read_models.event_sources import SourceRow, read_sources
from state.web_actor import Action

LOAD = Action(busy="loading", error="load_error")
CREATE = Action(busy="creating", error="create_error")
REVOKE = Action(busy="revoking", error="revoke_error")


def _create(name: str, actor: audit.Actor) -> tuple[str, str]:
    """A new source; (its plain key, its name)."""
    plain, source = event_sources.create_source(name, actor=actor)
    return plain, source.name


def _revoke(source_id: int, actor: audit.Actor) -> str:
    return event_sources.revoke_source(source_id, actor=actor).name


class EventSourcesState(rx.State):
    rows: list[SourceRow] = []
    curl: str = ""
    refused: str = ""  # why this person may not manage sources ("" when they may)
    loading: bool = False
    load_error: str = ""
    creating: bool = False
    create_error: str = ""
    # The key just created: shown until the page is left or reloaded, never again.
    new_key: str = ""
    new_key_source: str = ""
    revoking: bool = False
    revoke_error: str = ""

    @rx.var
    def has_sources(self) -> bool:
        return len(self.rows) > 0

    async def _read(self) -> None:
        view = await LOAD.run(self, read_sources)
        if view is not None:
            self.rows, self.curl, self.refused = view.rows, view.curl, view.refused

    @rx.event
    async def load(self):
        self.new_key = self.new_key_source = ""
        self.create_error = self.revoke_error = self.load_error = ""
        await self._read()

    @rx.event
    async def create(self, form: dict):
        CREATE.begin(self)
        self.new_key = ""
        yield
        created = await CREATE.run(self, _create, str(form.get("source_name", "")))
        if created is None:
            return
        self.new_key, self.new_key_source = created
        await self._read()
        yield rx.toast.success(f"Event source {self.new_key_source!r} created: copy its key now.")

    @rx.event
    async def revoke(self, source_id: int):
        REVOKE.begin(self)
        yield
        name = await REVOKE.run(self, _revoke, source_id)
        if name is None:
            return
        await self._read()
        yield rx.toast.success(f"The key of {name!r} is revoked: its reports are refused.")
