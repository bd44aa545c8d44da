"""Rows the tests need in a given state, made without running the pipeline that makes them."""

from __future__ import annotations

from sqlmodel import Session

from backend import db
from backend.access import audit
from backend.accounts import users
from backend.enums import Channel, EventName, ModificationStatus
from backend.events import activity
from backend.models import Modification, User
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


def offer_for_approval(modification_id: int) -> None:
    """Record that the change awaits approval, as the pipeline does when the evaluator
    accepts it: the assistant, subscribed to the event, offers it to whoever asked."""
    with db.session_scope() as session:
        activity.record(
            session,
            audit.SYSTEM,
            EventName.MODIFICATION_AWAITING_APPROVAL,
            detail={"modification_id": modification_id},
        )


def phone_user(
    session: Session,
    *,
    name: str = "Pat",
    phone: str = "+15551230001",
    verified: bool = True,
    preferred: Channel = Channel.EMAIL,
    sms_opted_out: bool = False,
) -> User:
    """A person with a phone number, verified or not, who may have replied STOP."""
    user = users.add_user_in(
        session,
        name=name,
        email=f"{name.lower()}@example.com",
        phone=phone,
        preferred_channel=preferred,
    )
    user.phone_verified = verified
    user.sms_opted_out = sms_opted_out
    session.add(user)
    session.flush()
    return user
