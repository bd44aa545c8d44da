"""Who acts in this tab (for the audit log)."""

from __future__ import annotations

import reflex as rx

from backend import audit
from backend.enums import Channel
from state.auth import AuthState


async def web_actor(state: rx.State) -> tuple[audit.Actor | None, AuthState]:
    """The signed-in person of this tab as an audit Actor (None when nobody is signed in)."""
    auth = await state.get_state(AuthState)
    if not auth.signed_in:
        return None, auth
    return audit.Actor(name=auth.user_email, channel=Channel.WEB, user_id=auth.user_id), auth
