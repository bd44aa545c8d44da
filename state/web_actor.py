"""Who acts in this tab (for the audit log), and doing an action as that person."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from backend.access import audit
from backend.accounts import auth
from backend.enums import Channel
from backend.errors import ProductError
from state.auth import AuthState
from state.wording import sentence

T = TypeVar("T")


async def web_actor(state: rx.State) -> audit.Actor | None:
    """The signed-in person of this tab as an Actor, with the role their account has now
    (read from the database, so a demoted admin loses their rights at once); None when
    nobody is signed in."""
    tab = await state.get_state(AuthState)
    if not tab.signed_in:
        return None
    return await asyncio.to_thread(auth.actor_from_token, tab.session_token, Channel.WEB)


@dataclasses.dataclass(frozen=True)
class Action:
    """A slow thing an event handler does as the tab's person, and the handler's state
    fields that show it: `busy` (the page shows a spinner) and `error` (why it failed, as a
    sentence). Whether the person may do it is the backend's to say (`backend.access.permissions`):
    its refusal is shown like any other error.

    In the handler: `ACTION.begin(self)`, `yield` (so the page shows it running), then
    `result = await ACTION.run(self, fn, *args)`; None means it failed and says why.
    """

    busy: str
    error: str

    def begin(self, state: rx.State) -> None:
        setattr(state, self.busy, True)
        setattr(state, self.error, "")

    async def run(self, state: rx.State, fn: Callable[..., T], *args: Any) -> T | None:
        """`fn(*args, actor=<this tab's person>)` in a thread, unless the person is refused.

        `busy` is cleared however it ends. None comes back, with the reason in `error`, when
        nobody is signed in or when `fn` raises a ProductError (a refusal of the backend's
        permissions included); so `fn` itself must never return None.
        """
        try:
            actor = await web_actor(state)
            if actor is None:
                setattr(state, self.error, "Log in first.")
                return None
            return await asyncio.to_thread(fn, *args, actor=actor)
        except ProductError as exc:
            setattr(state, self.error, sentence(exc))
            return None
        finally:
            setattr(state, self.busy, False)
