"""An object's durable storage: JSON values per key, persisted in the database."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, delete, select

from backend.models import ObjectState, utcnow


def load(session: Session, object_id: int) -> dict[str, Any]:
    """All of an object's keys and values."""
    rows = session.exec(select(ObjectState).where(ObjectState.object_id == object_id))
    return {row.key: row.value for row in rows}


def apply_writes(session: Session, object_id: int, writes: list[dict[str, Any]]) -> None:
    """Apply a call's writes (`{"op": "put", "key", "value"}` or `{"op": "delete", "key"}`).

    Later writes to a key win. Runs in the caller's transaction: the writes become visible
    together, or not at all.
    """
    final: dict[str, dict[str, Any]] = {write["key"]: write for write in writes}
    if not final:
        return
    rows = {
        row.key: row
        for row in session.exec(
            select(ObjectState).where(
                ObjectState.object_id == object_id, ObjectState.key.in_(list(final))
            )
        )
    }
    for key, write in final.items():
        row = rows.get(key)
        if write["op"] == "delete":
            if row is not None:
                session.delete(row)
            continue
        row = row or ObjectState(object_id=object_id, key=key)
        row.value = write["value"]
        row.updated_at = utcnow()
        session.add(row)
    session.flush()


def clear(session: Session, object_id: int) -> None:
    session.exec(delete(ObjectState).where(ObjectState.object_id == object_id))
