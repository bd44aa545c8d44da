"""Helpers the object states share: who acts (for the audit log) and error wording."""

from __future__ import annotations

from datetime import UTC, datetime

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


def sentence(exc: BaseException) -> str:
    """A product error's message as a sentence for a person (capital, full stop)."""
    text = str(exc).strip() or type(exc).__name__
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def when(moment: datetime | None) -> str:
    """A timestamp as people read it on the pages (UTC, minutes)."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
