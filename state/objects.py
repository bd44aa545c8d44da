"""Rows of the objects table, and how a database failure is described to a person."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC

from backend.db import session_scope
from backend.models import DurableObject
from backend.objects.store import list_objects

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class ObjectRow:
    """One table row, already formatted for display (the browser gets plain strings)."""

    slug: str
    name: str
    kind: str
    status: str
    version: str
    updated: str

    @classmethod
    def from_model(cls, obj: DurableObject) -> ObjectRow:
        updated = obj.updated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        version = f"v{obj.current_version}" if obj.current_version is not None else "none"
        return cls(
            slug=obj.slug,
            name=obj.name,
            kind=str(obj.kind),
            status=str(obj.status),
            version=version,
            updated=updated,
        )


def describe_error(exc: BaseException) -> str:
    """The driver's own first line (SQLAlchemy's message adds SQL and a docs link)."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {detail[0] if detail else 'no detail'}"


def read_object_rows() -> list[ObjectRow]:
    """Every object, ordered by slug, as display rows (blocking: run it in a thread)."""
    with session_scope() as session:
        return [ObjectRow.from_model(obj) for obj in list_objects(session)]
