"""The call console (call a deployed function with JSON arguments) and the read-only view
of the object's durable storage.

The object page's state reads the object and hands this state its part (`_show`), on load
and after every re-read, so a page load reads the object once; the console re-reads only
its own part, after a call (storage may have changed) or when asked (`refresh`).
"""

from __future__ import annotations

import asyncio
import json
import time

import reflex as rx

from backend.errors import ProductError
from backend.objects.runtime import call_as
from backend.read_models.object_page import ConsoleView, FunctionSpec, read_console
from backend.sandbox import SandboxUnavailable
from state.web_actor import web_actor
from state.wording import sentence


class ObjectConsoleState(rx.State):
    object_slug: str = ""
    functions: list[FunctionSpec] = []
    function: str = ""
    arguments: str = "{}"
    calling: bool = False
    result: str = ""
    call_error: str = ""
    took: str = ""
    storage: str = "{}"
    storage_keys: int = 0

    @rx.var
    def function_names(self) -> list[str]:
        return [f.name for f in self.functions]

    @rx.var
    def signature(self) -> str:
        return next((f.signature for f in self.functions if f.name == self.function), "")

    # Not an event (public methods of a state are): ObjectPageState calls it with what it read.
    def _show(self, slug: str, view: ConsoleView, *, fresh: bool = False) -> None:
        """Show object `slug`'s functions and storage; `fresh` (a page load) forgets the last
        call. The picked function stays picked while the live version still exports it."""
        if fresh or slug != self.object_slug:
            self.object_slug, self.function = slug, ""
            self.result = self.call_error = self.took = ""
        self.functions, self.storage, self.storage_keys = (
            view.functions,
            view.storage,
            view.storage_keys,
        )
        if self.function not in self.function_names:
            self._pick(self.functions[0].name if self.functions else "")

    def _pick(self, name: str) -> None:
        self.function = name
        spec = next((f for f in self.functions if f.name == name), None)
        self.arguments = spec.example if spec else "{}"

    async def _reread(self) -> None:
        self._show(self.object_slug, await asyncio.to_thread(read_console, self.object_slug))

    @rx.event
    async def refresh(self) -> None:
        """Re-read functions and storage (after a deploy)."""
        await self._reread()

    @rx.event
    def pick(self, name: str) -> None:
        self._pick(name)

    @rx.event
    def set_arguments(self, value: str) -> None:
        self.arguments = value

    @rx.event
    async def call(self):
        actor = await web_actor(self)
        if actor is None:
            self.call_error = "Log in first."
            return
        try:
            args = json.loads(self.arguments or "{}")
        except ValueError as exc:
            self.call_error, self.result, self.took = f"The arguments are not JSON: {exc}.", "", ""
            return
        self.calling, self.call_error, self.result = True, "", ""
        yield
        started = time.perf_counter()
        try:
            # The same access rule as HTTP calls: public, or the owner's, or an admin.
            value = await asyncio.to_thread(
                call_as, self.object_slug, self.function, args, user_id=actor.user_id
            )
        except (ProductError, SandboxUnavailable) as exc:
            self.call_error = sentence(exc)
        else:
            self.result = json.dumps(value, indent=2, default=str)
        self.took = f"{(time.perf_counter() - started) * 1000:.0f} ms"
        self.calling = False
        await self._reread()
