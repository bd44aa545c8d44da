"""State of the home page: the list of durable objects."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import UTC

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

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


class HomeState(rx.State):
    """The objects table and whether it could be read."""

    objects: list[ObjectRow] = []
    loaded: bool = False
    error: str = ""

    @rx.var
    def has_objects(self) -> bool:
        return len(self.objects) > 0

    @rx.event
    async def load(self) -> None:
        """Read the objects; on a database failure keep the page up and say what failed."""
        try:
            # The engine call blocks (an unreachable PostgreSQL waits for its connect
            # timeout); a thread keeps the event loop serving other tabs meanwhile.
            rows = await asyncio.to_thread(read_object_rows)
        except (SQLAlchemyError, OSError) as exc:
            logger.warning("objects could not be read: %s", exc)
            self.objects = []
            self.error = f"The database is unreachable ({describe_error(exc)})."
        else:
            self.objects = rows
            self.error = ""
        self.loaded = True
