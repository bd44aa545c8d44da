"""Who is acting, and the append-only record of what they did."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from backend.enums import Channel
from backend.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    """A person or a model acting through one channel.

    `name` is what history shows ("ada@example.com", "model:gpt-4o", "system").
    """

    name: str
    channel: Channel
    user_id: int | None = None


SYSTEM = Actor(name="system", channel=Channel.SYSTEM)


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    object_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry to the caller's transaction (it commits or rolls back with it)."""
    entry = AuditEntry(
        actor=actor.name,
        user_id=actor.user_id,
        channel=actor.channel,
        action=action,
        object_id=object_id,
        detail=detail or {},
    )
    session.add(entry)
    return entry
