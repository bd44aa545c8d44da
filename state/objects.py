"""Rows of the objects table."""

from __future__ import annotations

import dataclasses
import logging

from backend.db import session_scope
from backend.models import DurableObject
from backend.objects.store import list_objects
from backend.read_models.display import when

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
        version = f"v{obj.current_version}" if obj.current_version is not None else "none"
        return cls(
            slug=obj.slug,
            name=obj.name,
            kind=str(obj.kind),
            status=str(obj.status),
            version=version,
            updated=when(obj.updated_at),
        )


def read_object_rows() -> list[ObjectRow]:
    """Every object, ordered by slug, as display rows (blocking: run it in a thread)."""
    with session_scope() as session:
        return [ObjectRow.from_model(obj) for obj in list_objects(session)]
