"""The objects page's table: one row per object, already worded for display."""

from __future__ import annotations

import dataclasses

from backend.db import session_scope
from backend.models import DurableObject
from backend.objects.store import current_syntax_errors, list_objects
from backend.read_models.display import when


@dataclasses.dataclass
class ObjectRow:
    """One table row, already formatted for display (the browser gets plain strings)."""

    slug: str
    name: str
    kind: str
    status: str
    version: str
    updated: str
    syntax_error: str = ""  # why the current version doesn't parse


def object_row(obj: DurableObject, syntax_error: str = "") -> ObjectRow:
    version = f"v{obj.current_version}" if obj.current_version is not None else "none"
    return ObjectRow(
        slug=obj.slug,
        name=obj.name,
        kind=str(obj.kind),
        status=str(obj.status),
        version=version,
        updated=when(obj.updated_at),
        syntax_error=syntax_error,
    )


def read_object_rows() -> list[ObjectRow]:
    """Every object, ordered by slug, as display rows (blocking: run it in a thread)."""
    with session_scope() as session:
        broken = current_syntax_errors(session)
        return [object_row(obj, broken.get(obj.id, "")) for obj in list_objects(session)]
