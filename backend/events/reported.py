"""Events that are not the product's own actions: reported by other systems, or emitted by hand.

Actions the product itself performs are recorded with `backend.events.activity.record`, which writes
the audit entry and the Event together; this module is for the rest:

- `report`: another system (an `EventSource`, by its key) reports an external event
  (`EXTERNAL_EVENTS`) through `POST /api/events`; `receive` is that route's one call;
- `emit`: the operator emits any event of the vocabulary from the CLI (to try a monitor).

An event reported with an id is kept once: its idempotency key is "<source>:<id>", unique in
the database, so a retried report (even two at the same moment) stores one row.

Transactions: each write action here owns its transaction (`backend.db.own_transaction`):
doors call `emit(...)`; a backend service composing several steps in one transaction calls
the `_in(session, ...)` form, which never commits.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.access import audit
from backend.access.permissions import Permission, require
from backend.db import own_transaction, session_scope
from backend.enums import EXTERNAL_EVENTS, Channel, EventName
from backend.errors import InvalidInput, Unauthorized
from backend.events import payloads as event_payloads
from backend.events import sources
from backend.models import Event, EventSource

ID_MAX_LENGTH = 200
LIST_MAX = 1000
#: What a caller without a key is told to send.
SEND_A_KEY = "send 'Authorization: Bearer <key>' with an event source's key"


def _event_name(name: Any) -> EventName:
    """`name` as an event of the vocabulary; `InvalidInput` naming the known ones otherwise."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("the body needs 'type', the event's name (e.g. payment.failed)")
    try:
        return EventName(name.strip())
    except ValueError:
        known = ", ".join(event_payloads.known_events())
        raise InvalidInput(
            f"unknown event type {name!r}; reported from outside: "
            f"{event_payloads.external_names()} (known: {known})"
        ) from None


def _check_id(event_id: Any) -> str | None:
    if event_id is None:
        return None
    if not isinstance(event_id, str) or not event_id.strip():
        raise InvalidInput("'id' must be a non-empty string (the event's id in your system)")
    if len(event_id) > ID_MAX_LENGTH:
        raise InvalidInput(f"'id' is at most {ID_MAX_LENGTH} characters")
    return event_payloads.check_text(event_id.strip(), "'id'")


def _existing(session: Session, key: str) -> Event | None:
    return session.exec(select(Event).where(Event.idempotency_key == key)).first()


def _store(
    session: Session, name: EventName, payload: dict[str, Any], source: str, key: str | None
) -> tuple[Event, bool]:
    """Add the event unless one with the same idempotency key exists: (the event, whether new).

    The check first is the common case; the unique constraint settles a race (two reports of
    the same id at once): the loser's insert fails in its savepoint and it returns the winner's.
    Its callers have checked the payload (`event_payloads.check_storable`), so nothing that
    would stop the dispatcher is stored.
    """
    event_payloads.check_text(source, "the event's source")
    if key is not None:
        first = _existing(session, key)
        if first is not None:
            return first, False
    event = Event(name=name, payload=payload, source=source, idempotency_key=key)
    if key is None:
        session.add(event)
        session.flush()
        return event, True
    try:
        with session.begin_nested():
            session.add(event)
            session.flush()
    except IntegrityError:
        first = _existing(session, key)
        if first is None:  # not a duplicate after all: some other constraint failed
            raise
        return first, False
    return event, True


def report(
    session: Session,
    source: EventSource,
    type: str,  # the API's word for the event's name
    payload: Any,
    event_id: str | None,
) -> tuple[Event, bool]:
    """Store an external event `source` reports: (the Event, False when its id was seen
    before, and then the first Event). Only `EXTERNAL_EVENTS` may be reported from outside;
    the payload is checked against `backend.events.payloads`."""
    name = _event_name(type)
    if name not in EXTERNAL_EVENTS:
        raise InvalidInput(
            f"{name} is the product's own action, not reported from outside; "
            f"may be reported: {event_payloads.external_names()}"
        )
    event_payloads.check_storable(payload)  # first: the field checks assume sane JSON
    checked = event_payloads.validate_external(name, payload)
    event_id = _check_id(event_id)
    key = None if event_id is None else f"{source.name}:{event_id}"
    return _store(session, name, checked, sources.event_source_label(source), key)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deep"
    return str(exc)[:300]


def _source_of(session: Session, authorization: str | None) -> EventSource:
    """The live source an `Authorization: Bearer <key>` header names; `Unauthorized` telling
    apart no key, a malformed header, an unknown key and a revoked one."""
    if not (authorization or "").strip():
        raise Unauthorized(SEND_A_KEY)
    scheme, _, key = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <key>'")
    source = sources.source_for_key(session, key)
    if source is not None:
        return source
    known = sources.find_by_key(session, key)
    if known is not None:
        raise Unauthorized(f"the key of event source {known.name} was revoked")
    raise Unauthorized("the key is not valid: no event source has it")


def receive(authorization: str | None, body: bytes) -> tuple[Event, bool]:
    """`POST /api/events` in one call: authenticate the key first (so a caller without one
    learns that before anything else), then read the JSON body
    (`{"type": ..., "payload": {...}, "id": ...}`) and `report` it, in one transaction."""
    with session_scope() as session:
        source = _source_of(session, authorization)
        try:
            data = json.loads(body) if body.strip() else None
        except (ValueError, RecursionError) as exc:
            # ValueError: malformed JSON, bad UTF-8, an integer past Python's digit limit;
            # RecursionError: nesting thousands deep.
            raise InvalidInput(f"body is not valid JSON: {_reason(exc)}") from None
        if not isinstance(data, dict):
            raise InvalidInput('the body must be a JSON object: {"type": ..., "payload": {...}}')
        return report(session, source, data.get("type"), data.get("payload"), data.get("id"))


def emit_in(
    session: Session,
    name: str,
    payload: Any,
    *,
    source: str = Channel.CLI,
    event_id: str | None = None,
    actor: audit.Actor = audit.SYSTEM,
) -> Event:
    """Add any event of the vocabulary to the caller's transaction, by hand (the CLI's
    `events emit`, to try a monitor). External events' payloads are checked as if reported;
    an action's payload is taken as given, and no audit entry is written: nothing happened.
    With `event_id`, the same id from the same source is stored once (the first is returned).
    """
    require(actor, Permission.EVENT_SOURCES)
    event = _event_name(name)
    event_payloads.check_storable(payload)  # first: the field checks assume sane JSON
    if event in EXTERNAL_EVENTS:
        payload = event_payloads.validate_external(event, payload)
    elif not isinstance(payload, dict):
        raise InvalidInput("the payload must be a JSON object")
    event_id = _check_id(event_id)
    key = None if event_id is None else f"{source}:{event_id}"
    return _store(session, event, payload, str(source), key)[0]


emit = own_transaction(emit_in)


def _given_up(statement: Any) -> Any:
    """`statement` narrowed to the events the dispatcher gave up on (status "failed")."""
    return statement.where(
        col(Event.dispatched_at).is_not(None), col(Event.dispatch_error).is_not(None)
    )


def list_events(
    session: Session, *, name: str | None = None, limit: int = 50, only_failed: bool = False
) -> list[Event]:
    """The latest events, newest first; only those named `name` when given, only those
    whose dispatch failed for good with `only_failed`."""
    if not 1 <= limit <= LIST_MAX:
        raise InvalidInput(f"the limit is 1 to {LIST_MAX}")
    statement = select(Event).order_by(col(Event.id).desc()).limit(limit)
    if name:
        statement = statement.where(Event.name == _event_name(name))
    if only_failed:
        statement = _given_up(statement)
    return list(session.exec(statement))
