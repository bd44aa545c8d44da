"""Recording what happened: one helper writes an action's audit entry and its Event together.

Every state change a person might want to be told about is an action of the vocabulary in
`backend.enums.EventName` (`ACTIONS`). `record` adds both rows to the caller's transaction,
so they commit or roll back together and can never drift apart: the audit log says who did
it and through which door; the Event is what monitors and the dispatcher consume.

Layers above the one that acts learn of an action by subscribing to its event (`subscribe`):
a subscriber runs inside `record`, in the same transaction, so what it writes (e.g. the
assistant's report to whoever asked by phone, a queued Notification) commits with the action
or not at all: never lost, never doubled. This is how the store and the pipeline tell a
person about long work without knowing that phones exist. A subscriber is registered when
its module is imported; every entry point (the web app, the worker, the CLI) imports
`backend.assistant`. One that fails is logged and its writes are undone (a savepoint); the
action itself goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from backend.access.audit import Actor
from backend.enums import ACTIONS, EventName
from backend.events import payloads
from backend.models import AuditEntry, Event

log = logging.getLogger(__name__)

#: A subscriber: called with the acting transaction and the Event just added to it.
Subscriber = Callable[[Session, Event], None]
_subscribers: dict[EventName, list[Subscriber]] = {}


def subscribe(action: EventName, subscriber: Subscriber) -> None:
    """Call `subscriber(session, event)` whenever `action` is recorded (see the module doc).

    Registering the same function twice (a module imported again) keeps one.
    """
    action = EventName(action)
    if action not in ACTIONS:
        raise ValueError(f"{action} is reported from outside, not an action")
    subscribers = _subscribers.setdefault(action, [])
    if subscriber not in subscribers:
        subscribers.append(subscriber)


def unsubscribe(action: EventName, subscriber: Subscriber) -> None:
    """Stop calling `subscriber` for `action` (a test's own subscriber, once it is done)."""
    subscribers = _subscribers.get(EventName(action), [])
    if subscriber in subscribers:
        subscribers.remove(subscriber)


def subscribers(action: EventName) -> list[Subscriber]:
    """Who is told when `action` is recorded, in the order they subscribed."""
    return list(_subscribers.get(EventName(action), ()))


def _tell_subscribers(session: Session, event: Event) -> None:
    for subscriber in _subscribers.get(EventName(event.name), ()):
        try:
            with session.begin_nested():
                subscriber(session, event)
        except Exception:
            log.exception(
                "%s failed on %s; the action is kept", subscriber.__qualname__, event.name
            )


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
    detail = payloads.clean(dict(detail or {}))
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
    _tell_subscribers(session, event)
    return entry, event
