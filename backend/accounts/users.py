"""People who use the product: added, listed, found by email or phone.

Transactions: each write action here owns its transaction (`backend.db.own_transaction`):
doors call `add_user(...), set_quiet_hours(...), update_profile(...)`; a backend service
composing several steps in one transaction calls the `_in(session, ...)` form, which never
commits.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from backend.access import audit
from backend.access.permissions import Permission, require
from backend.db import own_transaction, session_scope
from backend.enums import Channel, EventName
from backend.errors import Conflict, InvalidInput, NotFound
from backend.events import activity
from backend.models import User

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
#: Channels a person can choose to be reached through.
PREFERRED_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.VOICE, Channel.SLACK)


def normalise_phone(phone: str) -> str:
    """An E.164 number ('+15551234567'); spaces, dots, dashes and brackets are dropped."""
    compact = re.sub(r"[\s().-]", "", phone or "")
    if not E164.match(compact):
        raise InvalidInput(
            f"phone number {phone!r} is not in E.164 form (a '+', the country code, "
            "then the number, 7 to 15 digits in all, like +15551234567)"
        )
    return compact


def normalise_email(email: str) -> str:
    """The address as stored and looked up: valid, and lower-case throughout.

    The local part too: mail servers may tell "Ada" from "ada", but people don't, and two
    accounts for one inbox (one of which can never sign in) help nobody.
    """
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput(f"email {email!r} is not valid: {exc}") from None


def add_user_in(
    session: Session,
    *,
    name: str,
    email: str,
    phone: str | None = None,
    is_admin: bool = False,
    preferred_channel: Channel = Channel.EMAIL,
    phone_verified: bool = False,
    actor: audit.Actor = audit.SYSTEM,
) -> User:
    """Add a person; email and phone number must be unused. Needs the right to add users.

    `phone_verified`: the admin vouches for the number (the CLI's `users add --phone`), so it
    is recognised when it calls or texts without a code (see `backend.accounts.phones`).
    """
    require(actor, Permission.USER_ADMIN)
    return _add(
        session,
        name=name,
        email=email,
        phone=phone,
        is_admin=is_admin,
        preferred_channel=preferred_channel,
        phone_verified=phone_verified,
        actor=actor,
    )


add_user = own_transaction(add_user_in)


def _add(
    session: Session,
    *,
    name: str,
    email: str,
    phone: str | None,
    is_admin: bool,
    preferred_channel: Channel,
    actor: audit.Actor,
    phone_verified: bool = False,
) -> User:
    if not name.strip():
        raise InvalidInput("name is empty")
    user = User(
        name=name.strip(),
        email=normalise_email(email),
        phone=normalise_phone(phone) if phone else None,
        is_admin=is_admin,
        preferred_channel=Channel(preferred_channel),
    )
    user.phone_verified = bool(phone_verified and user.phone)
    for field, value in (("email", user.email), ("phone", user.phone)):
        if value and session.exec(select(User).where(getattr(User, field) == value)).first():
            raise Conflict(f"a user with {field} {value} already exists")
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"a user with email {user.email} or phone {user.phone} exists") from None
    activity.record(
        session,
        actor,
        EventName.USER_CREATED,
        detail={"user_id": user.id, "name": user.name, "email": user.email, "is_admin": is_admin},
    )
    return user


def sign_up_in(
    session: Session, *, name: str, email: str, phone: str | None, channel: Channel
) -> User:
    """A person adds themselves (web sign-up): the first person becomes an admin.

    Needs no right: anybody may sign up. The action is recorded as done by the new person.
    """
    is_first = session.exec(select(User.id).limit(1)).first() is None
    try:
        who = normalise_email(email)
    except InvalidInput:
        who = (email or "").strip() or "anonymous"  # refused below, by `_add`
    newcomer = audit.Actor(name=who, channel=channel)
    return _add(
        session,
        name=name,
        email=email,
        phone=phone,
        is_admin=is_first,
        preferred_channel=Channel.EMAIL,
        actor=newcomer,
    )


def get_user(session: Session, user_id: int) -> User:
    """The user with this id, or `NotFound`."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.id)))


def actor_for_email(email: str, channel: Channel) -> audit.Actor:
    """The person with this email as an Actor, with the role their account has now (the
    CLI's --as); `NotFound` when there is none. Opens its own session."""
    with session_scope() as session:
        return audit.Actor.for_user(get_user_by_email(session, email), channel)


def get_user_by_email(session: Session, email: str) -> User:
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is None:
        raise NotFound(f"no user with email {email}")
    return user


def find_user_by_phone(session: Session, phone: str) -> User | None:
    """The user with this number, or None (callers are recognised this way)."""
    try:
        number = normalise_phone(phone)
    except InvalidInput:
        return None
    return session.exec(select(User).where(User.phone == number)).first()


def update_profile_in(
    session: Session,
    user_id: int,
    *,
    name: str,
    phone: str | None,
    preferred_channel: str,
    actor: audit.Actor | None = None,
) -> User:
    """Change what a person may change about themselves: name, phone, preferred channel.

    An empty phone removes the number; a number another person has is refused. A new
    number is not verified (`backend.accounts.phones` verifies it by a code sent by SMS).
    """
    user = get_user(session, user_id)
    actor = actor or audit.Actor.for_user(user, Channel.WEB)
    if actor.user_id != user.id:
        require(actor, Permission.USER_ADMIN)
    if not (name or "").strip():
        raise InvalidInput("name is empty")
    try:
        channel = Channel(preferred_channel)
    except ValueError:
        raise InvalidInput(f"unknown channel {preferred_channel!r}") from None
    if channel not in PREFERRED_CHANNELS:
        names = ", ".join(PREFERRED_CHANNELS)
        raise InvalidInput(f"preferred channel must be one of {names}, not {channel}")
    number = normalise_phone(phone) if (phone or "").strip() else None
    if number and number != user.phone:
        other = session.exec(select(User).where(User.phone == number)).first()
        if other is not None and other.id != user.id:
            raise Conflict(f"a user with phone {number} already exists")
    changes = _apply(
        session,
        user,
        actor,
        {"name": name.strip(), "phone": number, "preferred_channel": str(channel)},
    )
    if "phone" in changes:
        user.phone_verified = False
        session.add(user)
    return user


update_profile = own_transaction(update_profile_in)


def _apply(session: Session, user: User, actor: audit.Actor, values: dict[str, object]) -> set:
    """Set the fields that differ and record `user.updated` naming them; the changed names."""
    changes = {field for field, value in values.items() if getattr(user, field) != value}
    for field in changes:
        setattr(user, field, values[field])
    session.add(user)
    session.flush()
    if changes:
        activity.record(
            session,
            actor,
            EventName.USER_UPDATED,
            detail={"user_id": user.id, "changed": sorted(changes)},
        )
    return changes


_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def set_quiet_hours_in(
    session: Session,
    user_id: int,
    *,
    timezone: str,
    start: str,
    end: str,
    actor: audit.Actor,
) -> User:
    """Set the person's time zone and quiet hours ("22:00" to "07:00"; both empty for none),
    during which an alert call to them becomes an SMS."""
    user = get_user(session, user_id)
    if actor.user_id != user.id:
        require(actor, Permission.USER_ADMIN)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"unknown time zone {timezone!r}; use an IANA name like Europe/Paris"
        ) from None
    start, end = (start or "").strip(), (end or "").strip()
    if bool(start) != bool(end):
        raise InvalidInput("quiet hours need both a start and an end (or neither)")
    for clock in filter(None, (start, end)):
        if not _CLOCK.match(clock):
            raise InvalidInput(f"{clock!r} is not a time of day like 22:00")
    _apply(session, user, actor, {"timezone": timezone, "quiet_start": start, "quiet_end": end})
    return user


set_quiet_hours = own_transaction(set_quiet_hours_in)
