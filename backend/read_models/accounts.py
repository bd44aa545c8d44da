"""A person as the web pages show them: who is signed in to a tab, their profile, their
phone and PIN."""

from __future__ import annotations

import dataclasses

from backend.access import permissions
from backend.access.audit import Actor
from backend.accounts import auth, phones, users
from backend.db import session_scope
from backend.enums import Channel
from backend.errors import NotFound
from backend.models import User


@dataclasses.dataclass(frozen=True)
class SignedInUser:
    """What a tab needs to know about its user (plain values, no ORM object)."""

    id: int
    name: str
    email: str
    is_admin: bool
    actor_role: str  # backend.enums.Role, as Actor.for_user gives it
    refusals: dict[str, str]  # permission -> why not ("" where allowed): backend.access.permissions


def signed_in_user(user: User) -> SignedInUser:
    actor = Actor.for_user(user, Channel.WEB)
    return SignedInUser(
        id=user.id or 0,
        name=user.name,
        email=user.email,
        is_admin=user.is_admin,
        actor_role=str(actor.role),
        refusals=permissions.refusals(actor),
    )


def read_signed_in_user(token: str | None) -> SignedInUser | None:
    """The person a web session token names; None for a token that names nobody (any more)."""
    with session_scope() as session:
        user = auth.user_from_token(session, token)
        return signed_in_user(user) if user else None


@dataclasses.dataclass(frozen=True)
class Profile:
    """The settings page's profile form."""

    name: str
    email: str
    phone: str
    preferred_channel: str


def profile(user: User) -> Profile:
    return Profile(
        name=user.name,
        email=user.email,
        phone=user.phone or "",
        preferred_channel=str(user.preferred_channel),
    )


def read_profile(user_id: int) -> Profile | None:
    """None when there is no such person (any more)."""
    with session_scope() as session:
        try:
            return profile(users.get_user(session, user_id))
        except NotFound:
            return None


@dataclasses.dataclass
class PhoneStatus:
    """The settings page's "Phone and PIN" part."""

    phone: str
    verified: bool
    has_pin: bool
    timezone: str
    quiet_start: str
    quiet_end: str


def phone_status(user: User) -> PhoneStatus:
    return PhoneStatus(
        phone=user.phone or "",
        verified=bool(user.phone and user.phone_verified),
        has_pin=phones.has_pin(user),
        timezone=user.timezone,
        quiet_start=user.quiet_start,
        quiet_end=user.quiet_end,
    )


def read_phone_status(user_id: int) -> PhoneStatus | None:
    """None when there is no such person (any more)."""
    with session_scope() as session:
        try:
            return phone_status(users.get_user(session, user_id))
        except NotFound:
            return None
