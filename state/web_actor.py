"""Who acts in this tab (for the audit log), and doing an action as that person."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from backend import audit
from backend.enums import Channel
from backend.errors import ProductError
from state.auth import AuthState
from state.wording import sentence

T = TypeVar("T")


async def web_actor(state: rx.State) -> tuple[audit.Actor | None, AuthState]:
    """The signed-in person of this tab as an audit Actor (None when nobody is signed in)."""
    auth = await state.get_state(AuthState)
    if not auth.signed_in:
        return None, auth
    return audit.Actor(name=auth.user_email, channel=Channel.WEB, user_id=auth.user_id), auth


@dataclasses.dataclass(frozen=True)
class Action:
    """A slow thing an event handler does as the tab's person, and the handler's state
    fields that show it: `busy` (the page shows a spinner) and `error` (why it failed, as a
    sentence). `admin` names an action only admins may do ("deploy"), for the refusal.

    In the handler: `ACTION.begin(self)`, `yield` (so the page shows it running), then
    `result = await ACTION.run(self, fn, *args)`; None means it failed and says why.
    """

    busy: str
    error: str
    admin: str = ""

    def begin(self, state: rx.State) -> None:
        setattr(state, self.busy, True)
        setattr(state, self.error, "")

    async def run(self, state: rx.State, fn: Callable[..., T], *args: Any) -> T | None:
        """`fn(*args, actor=<this tab's person>)` in a thread, unless the person is refused.

        `busy` is cleared however it ends. None comes back, with the reason in `error`, when
        nobody is signed in, when a non-admin tries an admin's action, or when `fn` raises a
        ProductError; so `fn` itself must never return None.
        """
        actor, auth = await web_actor(state)
        refusal = ""
        if actor is None:
            refusal = "Log in first."
        elif self.admin:
            refusal = auth.check_admin().replace("do this", self.admin)
        try:
            if refusal:
                setattr(state, self.error, refusal)
                return None
            return await asyncio.to_thread(fn, *args, actor=actor)
        except ProductError as exc:
            setattr(state, self.error, sentence(exc))
            return None
        finally:
            setattr(state, self.busy, False)
