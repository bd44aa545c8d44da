"""Recording what happened: one helper writes an action's audit entry and its Event together.

Every state change a person might want to be told about is an action of the vocabulary in
`backend.enums.EventName` (`ACTIONS`). `record` adds both rows to the caller's transaction,
so they commit or roll back together and can never drift apart: the audit log says who did
it and through which door; the Event is what monitors and the dispatcher consume.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from backend import event_payloads
from backend.audit import Actor
from backend.enums import ACTIONS, EventName
from backend.models import AuditEntry, Event


def record(
    session: Session,
    actor: Actor,
    action: EventName,
    *,
    object_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> tuple[AuditEntry, Event]:
    """Add the audit entry and the Event for `action` to the caller's transaction.

    The Event's payload is the detail plus who acted (`actor`, `user_id`), so a monitor can
    filter on either; its source is the channel the actor came by.
    """
    action = EventName(action)
    if action not in ACTIONS:
        raise ValueError(f"{action} is reported from outside, not an action; use events.emit")
    # What the product records itself is made storable, not refused: the action happened.
    detail = event_payloads.clean(dict(detail or {}))
    entry = AuditEntry(
        actor=actor.name,
        user_id=actor.user_id,
        channel=actor.channel,
        action=action,
        object_id=object_id,
        detail=detail,
    )
    payload = {**detail, "actor": actor.name, "actor_user_id": actor.user_id}
    if object_id is not None:
        payload.setdefault("object_id", object_id)
    event = Event(name=action, payload=payload, source=actor.channel)
    session.add_all([entry, event])
    return entry, event
