"""Rows the tests need in a given state, made without running the pipeline that makes them."""

from __future__ import annotations

from sqlmodel import Session

from backend.enums import ModificationStatus
from backend.models import Modification
from backend.objects import store


def waiting_modification(
    session: Session, slug: str, proposed: dict[str, str], *, requested_by_id: int | None = None
) -> Modification:
    """A change to `slug`'s current version, accepted by the evaluator, awaiting approval."""
    obj = store.get_object(session, slug)
    base = store.get_version(session, slug)
    modification = Modification(
        slug=slug,
        name=obj.name,
        object_id=obj.id,
        base_version_id=base.id,
        prompt="a change",
        proposed_files=proposed,
        status=ModificationStatus.AWAITING_APPROVAL,
        requested_by_id=requested_by_id,
    )
    session.add(modification)
    session.flush()
    return modification
