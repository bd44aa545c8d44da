"""The call console (call a deployed function with JSON arguments) and the read-only view
of the object's durable storage."""

from __future__ import annotations

import asyncio
import json
import time

import reflex as rx

from backend.errors import ProductError
from backend.objects.runtime import call_as
from backend.sandbox import SandboxUnavailable
from state import object_data as data
from state.object_data import FunctionSpec
from state.object_page import slug_from_path
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

    async def _refresh(self) -> None:
        snap = await asyncio.to_thread(data.read_object, self.object_slug)
        self.functions, self.storage, self.storage_keys = (
            snap.functions,
            snap.storage,
            snap.storage_keys,
        )

    @rx.event
    async def load(self) -> None:
        self.object_slug = slug_from_path(self.router.url.path)
        self.result = self.call_error = self.took = ""
        try:
            await self._refresh()
        except ProductError:
            self.functions = []  # the page itself says the object is missing
            return
        if self.functions:
            self.pick(self.functions[0].name)

    @rx.event
    async def refresh(self) -> None:
        """Re-read functions and storage (after a deploy)."""
        await self._refresh()
        if self.function not in self.function_names and self.functions:
            self.pick(self.functions[0].name)

    @rx.event
    def pick(self, name: str) -> None:
        self.function = name
        spec = next((f for f in self.functions if f.name == name), None)
        self.arguments = spec.example if spec else "{}"

    @rx.event
    def set_arguments(self, value: str) -> None:
        self.arguments = value

    @rx.event
    async def call(self):
        actor, _ = await web_actor(self)
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
        await self._refresh()
