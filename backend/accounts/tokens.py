"""API tokens: bearer tokens for calling private objects. Only a hash is kept.

A person creates, lists and revokes their own tokens (the Tokens page, as themselves);
admins and the operator may do so for anyone (the CLI). The plain token is returned once,
when it is created, and can never be read back.

Transactions: each write action here owns its transaction (`backend.db.own_transaction`):
doors call `create_token(...), create_own_token(...), revoke_token(...), caller(...)`; a
backend service composing several steps in one transaction calls the `_in(session, ...)`
form, which never commits.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlmodel import Session, col, select

from backend.access import audit
from backend.access.permissions import Permission, require
from backend.accounts import users
from backend.db import own_transaction
from backend.enums import EventName
from backend.errors import Conflict, InvalidInput, NotFound, Unauthorized
from backend.events import activity
from backend.models import ApiToken, User, utcnow

TOKEN_PREFIX = "dob_"
NAME_MAX_LENGTH = 100
#: What a caller without a token is told to send.
SEND_A_TOKEN = "send 'Authorization: Bearer <token>' with an API token"


def _hash(token: str) -> str:
    # Tokens are 256 random bits, so a plain SHA-256 is enough (no password stretching needed).
    return hashlib.sha256(token.encode()).hexdigest()


def _issue(session: Session, user: User, name: str, actor: audit.Actor) -> tuple[str, ApiToken]:
    require(actor, Permission.TOKENS, subject_user_id=user.id)
    name = name.strip()
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidInput(f"a token's name is at most {NAME_MAX_LENGTH} characters")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=_hash(plain), prefix=plain[:10])
    session.add(token)
    session.flush()
    activity.record(
        session,
        actor,
        EventName.TOKEN_CREATED,
        detail={"user_id": user.id, "token_id": token.id, "prefix": token.prefix, "name": name},
    )
    return plain, token


def create_token_in(
    session: Session, *, email: str, name: str = "", actor: audit.Actor = audit.SYSTEM
) -> tuple[str, ApiToken]:
    """A new token for the user; the plain text is returned once and never stored."""
    return _issue(session, users.get_user_by_email(session, email), name, actor)


create_token = own_transaction(create_token_in)


def create_own_token_in(session: Session, *, name: str, actor: audit.Actor) -> tuple[str, ApiToken]:
    """A new token for the person acting, named so they can tell it apart when revoking."""
    if actor.user_id is None:
        raise InvalidInput("only a person can have API tokens; log in first")
    if not name.strip():
        raise InvalidInput("give the token a name, e.g. what will use it")
    return _issue(session, users.get_user(session, actor.user_id), name, actor)


create_own_token = own_transaction(create_own_token_in)


def list_tokens(session: Session, *, user_id: int, actor: audit.Actor) -> list[ApiToken]:
    """A person's tokens, newest first, revoked ones included (their hash is never shown)."""
    require(actor, Permission.TOKENS, subject_user_id=user_id)
    statement = (
        select(ApiToken)
        .where(ApiToken.user_id == user_id)
        .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
    )
    return list(session.exec(statement))


def revoke_token_in(session: Session, token_id: int, *, actor: audit.Actor) -> ApiToken:
    """Revoke a token: from now on it is refused everywhere. Revoking is final."""
    token = session.get(ApiToken, token_id, with_for_update=True)
    if token is None:
        raise NotFound(f"no API token with id {token_id}")
    require(actor, Permission.TOKENS, subject_user_id=token.user_id)
    if token.revoked_at is not None:
        raise Conflict(f"the token {token.name or token.prefix} is already revoked")
    token.revoked_at = utcnow()
    session.add(token)
    activity.record(
        session,
        actor,
        EventName.TOKEN_REVOKED,
        detail={
            "user_id": token.user_id,
            "token_id": token.id,
            "prefix": token.prefix,
            "name": token.name,
        },
    )
    return token


revoke_token = own_transaction(revoke_token_in)


def caller_in(session: Session, authorization: str | None) -> User | None:
    """Who an API request comes from: None without an Authorization header; `Unauthorized`
    for a header that names no valid token (told apart from sending none, so a caller with
    a mistyped or revoked token knows which it is)."""
    if not (authorization or "").strip():
        return None
    scheme, _, plain = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not plain.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <token>'")
    user = authenticate(session, authorization)
    if user is None:
        raise Unauthorized("the API token is not valid (unknown or revoked)")
    return user


#: Every API route's first step; it notes when the token was last used, so it is an action.
caller = own_transaction(caller_in)


def authenticate(session: Session, authorization: str | None) -> User | None:
    """The user behind an `Authorization: Bearer ...` header, or None."""
    if not authorization:
        return None
    scheme, _, plain = authorization.partition(" ")
    if scheme.lower() != "bearer" or not plain.strip():
        return None
    token = session.exec(
        select(ApiToken).where(
            ApiToken.token_hash == _hash(plain.strip()), ApiToken.revoked_at.is_(None)
        )
    ).first()
    if token is None:
        return None
    token.last_used_at = utcnow()
    session.add(token)
    return session.get(User, token.user_id)
