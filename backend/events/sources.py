"""Event sources: other systems allowed to report events (`POST /api/events`), one key each.

Like API tokens (`backend.accounts.tokens`), only a key's SHA-256 and its first characters are kept;
the plain key is returned once, when the source is created. Admins and the operator manage
sources (`Permission.EVENT_SOURCES`). A source's events are stored with the source
"api:<name>", so its name is short enough for the Event's source column.

Transactions: each write action here owns its transaction (`backend.db.own_transaction`):
doors call `create_source(...), revoke_source(...)`; a backend service composing several
steps in one transaction calls the `_in(session, ...)` form, which never commits.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.access import audit
from backend.access.permissions import Permission, require
from backend.db import own_transaction
from backend.enums import EventName
from backend.errors import Conflict, InvalidInput, NotFound
from backend.events import activity
from backend.models import EventSource, utcnow
from backend.urls import public_url

KEY_PREFIX = "dev_"
#: Where sources report events (served by `backend.api.events`).
EVENTS_PATH = "/api/events"
#: "api:<name>" must fit the Event's source column (32 characters).
SOURCE_PREFIX = "api:"
NAME_MAX_LENGTH = 32 - len(SOURCE_PREFIX)
_NAME = re.compile(rf"[A-Za-z0-9_-]{{1,{NAME_MAX_LENGTH}}}")


def _hash(key: str) -> str:
    # Keys are 256 random bits, so a plain SHA-256 is enough (no password stretching needed).
    return hashlib.sha256(key.encode()).hexdigest()


def check_name(name: str) -> str:
    """A source's name, stripped; `InvalidInput` unless it is 1-28 letters, digits, - or _."""
    name = (name or "").strip()
    if not _NAME.fullmatch(name):
        raise InvalidInput(
            f"a source's name is 1 to {NAME_MAX_LENGTH} letters, digits, '-' or '_' (not {name!r})"
        )
    return name


def event_source_label(source: EventSource) -> str:
    """What an Event reported by `source` has as its source: "api:<name>"."""
    return SOURCE_PREFIX + source.name


def _record(session: Session, actor: audit.Actor, action: EventName, source: EventSource) -> None:
    detail = {"source_id": source.id, "name": source.name, "prefix": source.prefix}
    activity.record(session, actor, action, detail=detail)


def create_source_in(session: Session, name: str, *, actor: audit.Actor) -> tuple[str, EventSource]:
    """A new source and its key; the plain key is returned once and never stored."""
    require(actor, Permission.EVENT_SOURCES)
    name = check_name(name)
    if session.exec(select(EventSource).where(EventSource.name == name)).first() is not None:
        raise Conflict(f"there is already an event source named {name}")
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    source = EventSource(name=name, key_hash=_hash(plain), prefix=plain[:10])
    try:
        with session.begin_nested():
            session.add(source)
            session.flush()
    except IntegrityError:  # created meanwhile by another request
        raise Conflict(f"there is already an event source named {name}") from None
    _record(session, actor, EventName.EVENT_SOURCE_CREATED, source)
    return plain, source


create_source = own_transaction(create_source_in)


def list_sources(session: Session) -> list[EventSource]:
    """Every source, newest first, revoked ones included (their key hash is never shown)."""
    statement = select(EventSource).order_by(
        col(EventSource.created_at).desc(), col(EventSource.id).desc()
    )
    return list(session.exec(statement))


def get_source(session: Session, name_or_id: str | int) -> EventSource:
    """The source with this name, or this id (a number); `NotFound` otherwise."""
    text = str(name_or_id).strip()
    source = session.exec(
        select(EventSource).where(EventSource.name == text).with_for_update()
    ).first()
    if source is None and text.isdigit():
        source = session.get(EventSource, int(text), with_for_update=True)
    if source is None:
        raise NotFound(f"no event source named {text}")
    return source


def revoke_source_in(session: Session, name_or_id: str | int, *, actor: audit.Actor) -> EventSource:
    """Revoke a source's key: its reports are refused from now on. Revoking is final."""
    require(actor, Permission.EVENT_SOURCES)
    source = get_source(session, name_or_id)
    if source.revoked_at is not None:
        raise Conflict(f"the event source {source.name} is already revoked")
    source.revoked_at = utcnow()
    session.add(source)
    _record(session, actor, EventName.EVENT_SOURCE_REVOKED, source)
    return source


revoke_source = own_transaction(revoke_source_in)


def source_for_key(session: Session, key: str) -> EventSource | None:
    """The live source whose key this is (its last use noted), or None: unknown or revoked."""
    source = find_by_key(session, key)
    if source is None or source.revoked_at is not None:
        return None
    source.last_used_at = utcnow()
    session.add(source)
    return source


def find_by_key(session: Session, key: str) -> EventSource | None:
    """The source whose key this is, revoked or not (so a door can say which it is)."""
    if not (key or "").strip():
        return None
    return session.exec(
        select(EventSource).where(EventSource.key_hash == _hash(key.strip()))
    ).first()


def curl_example() -> str:
    """How a source reports an event, as a curl command against PUBLIC_BASE_URL."""
    return (
        f"curl -X POST {public_url(EVENTS_PATH)} \\\n"
        '  -H "Authorization: Bearer $EVENT_KEY" -H "Content-Type: application/json" \\\n'
        """  -d '{"type": "payment.failed", "id": "pay_123", "payload": """
        """{"amount": 49.5, "currency": "USD", "customer": "cus_42", "reason": "card declined"}}'"""
    )
