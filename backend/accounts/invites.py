"""Getting a person added by an admin into the web app: an invite link, or a password set
for them.

`users add` on the command line makes an account with no password, so nobody could sign in
to it (sign-up says the email exists). An admin either sets a password (`set_password`) or
hands the person a one-time link (`invite`) that opens a page where they choose their own
and are signed in (`accept`).

A link is "user_id.expiry.stamp.signature", signed with the session key like session
tokens, so no table is needed. `stamp` is a fingerprint of the account's password hash and
session generation when the link was made: setting a password changes both, so a link is
good exactly once (and a password set any other way ends the links made before it). Each
way a link can fail has its own sentence: not a link of ours, expired, or already used.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import time
from datetime import UTC, datetime
from typing import Any

from backend.access import audit
from backend.access.permissions import Permission, require
from backend.accounts import auth, users
from backend.config import get_settings
from backend.db import session_scope
from backend.enums import Channel, EventName
from backend.errors import InvalidInput
from backend.events import activity
from backend.models import User
from backend.urls import public_url

#: The page an invite link opens (`app.routes.INVITE` is the same path).
INVITE_PATH = "/invite"


class InviteRefused(InvalidInput):
    """The link can't be used; the message says why, in words for the person holding it."""


NOT_A_LINK = "This link is not a valid invitation: check that it was copied whole."
EXPIRED = "This invitation link expired on {when}: ask an admin for a new one."
USED = (
    "This invitation link was already used: a password has been set for {email} since. "
    "Log in with it, or ask an admin for a new link."
)


@dataclasses.dataclass(frozen=True)
class Invite:
    """A link made for a person: the URL to hand them and when it stops working."""

    user_id: int
    email: str
    url: str
    expires_at: datetime


def _stamp(user: User) -> str:
    """Changes whenever the account's password (or its sessions' generation) changes."""
    state = f"{user.id}|{user.password_hash or ''}|{user.session_generation}"
    return hashlib.sha256(auth.secret_key() + state.encode()).hexdigest()[:16]


def _signature(payload: str) -> str:
    key = auth.secret_key()
    return hmac.new(key, f"invite:{payload}".encode(), hashlib.sha256).hexdigest()


def _link_token(user: User, expiry: int) -> str:
    payload = f"{user.id}.{expiry}.{_stamp(user)}"
    return f"{payload}.{_signature(payload)}"


def invite(email: str, *, actor: audit.Actor) -> Invite:
    """A one-time link for the person with this email to set their password, good for
    INVITE_TTL_HOURS; recorded as `user.invited`. Needs the right to add users."""
    require(actor, Permission.USER_ADMIN)
    with session_scope() as session:
        return _invite(session, users.get_user_by_email(session, email), actor)


def add_and_invite(*, actor: audit.Actor, **person: Any) -> tuple[User, Invite]:
    """Add a person (`person`: `users.add_user`'s fields) and make their invite link, in one
    transaction: what the CLI's `users add` does, so the person it adds can get into the web
    app."""
    with session_scope() as session:
        user = users.add_user_in(session, actor=actor, **person)
        return user, _invite(session, user, actor)


def _invite(session, user: User, actor: audit.Actor) -> Invite:
    expiry = int(time.time() + get_settings().invite_ttl_hours * 3600)
    expires_at = datetime.fromtimestamp(expiry, UTC)
    token = _link_token(user, expiry)
    activity.record(
        session,
        actor,
        EventName.USER_INVITED,
        detail={"user_id": user.id, "expires_at": expires_at.isoformat()},
    )
    return Invite(
        user_id=user.id or 0,
        email=user.email,
        url=public_url(f"{INVITE_PATH}?token={token}"),
        expires_at=expires_at,
    )


def _user_for_link(session, token: str) -> User:
    """The person a link is for, or `InviteRefused` saying why it can't be used."""
    try:
        user_id, expiry, stamp, signature = (token or "").strip().split(".")
        payload = f"{user_id}.{expiry}.{stamp}"
        if not hmac.compare_digest(signature, _signature(payload)):
            raise ValueError("bad signature")
        user = session.get(User, int(user_id))
        expires = int(expiry)
    except ValueError:
        raise InviteRefused(NOT_A_LINK) from None
    if user is None:
        raise InviteRefused(NOT_A_LINK)
    if expires < time.time():
        when = datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%d %H:%M UTC")
        raise InviteRefused(EXPIRED.format(when=when))
    if not hmac.compare_digest(stamp, _stamp(user)):
        raise InviteRefused(USED.format(email=user.email))
    return user


@dataclasses.dataclass(frozen=True)
class InvitedPerson:
    """Who a good link is for, for the page to greet them."""

    name: str
    email: str


def check_link(token: str) -> InvitedPerson:
    """Who the link is for, or `InviteRefused` with the reason (not a link, expired, used)."""
    with session_scope() as session:
        user = _user_for_link(session, token)
        return InvitedPerson(name=user.name, email=user.email)


def accept(token: str, password: str) -> str:
    """Set the password of the person the link is for and sign them in: a session token.

    The link is used up by it (the password changed). Recorded as `user.password_changed`
    (how: invite), done by the person themselves.
    """
    with session_scope() as session:
        user = _user_for_link(session, token)
        auth.check_password_rules(password)
        _set(session, user, password, audit.Actor.for_user(user, Channel.WEB), how="invite")
        return auth.issue_session_token(user)


def set_password(email: str, password: str, *, actor: audit.Actor) -> User:
    """An admin sets the password of the person with this email (the CLI's
    `users set-password`): their sessions and links end. Needs the right to add users, unless
    it is the person's own account."""
    with session_scope() as session:
        user = users.get_user_by_email(session, email)
        if actor.user_id != user.id:
            require(actor, Permission.USER_ADMIN)
        auth.check_password_rules(password)
        _set(session, user, password, actor, how="set")
        return user


def _set(session, user: User, password: str, actor: audit.Actor, *, how: str) -> None:
    user.password_hash = auth.hash_password(password)
    user.session_generation += 1  # every session (and link) made before ends
    session.add(user)
    session.flush()
    activity.record(
        session, actor, EventName.USER_PASSWORD_CHANGED, detail={"user_id": user.id, "how": how}
    )
