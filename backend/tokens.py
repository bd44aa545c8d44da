"""API tokens: bearer tokens for calling private objects. Only a hash is kept."""

from __future__ import annotations

import hashlib
import secrets

from sqlmodel import Session, select

from backend import activity, audit, users
from backend.enums import EventName
from backend.errors import Unauthorized
from backend.models import ApiToken, User, utcnow
from backend.permissions import Permission, require

TOKEN_PREFIX = "dob_"
#: What a caller without a token is told to send.
SEND_A_TOKEN = "send 'Authorization: Bearer <token>' with an API token"


def _hash(token: str) -> str:
    # Tokens are 256 random bits, so a plain SHA-256 is enough (no password stretching needed).
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, *, email: str, name: str = "", actor: audit.Actor = audit.SYSTEM
) -> tuple[str, ApiToken]:
    """A new token for the user; the plain text is returned once and never stored."""
    user = users.get_user_by_email(session, email)
    require(actor, Permission.TOKENS, subject_user_id=user.id)
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=_hash(plain), prefix=plain[:10])
    session.add(token)
    session.flush()
    activity.record(
        session,
        actor,
        EventName.TOKEN_CREATED,
        detail={"user_id": user.id, "prefix": token.prefix, "name": name},
    )
    return plain, token


def caller(session: Session, authorization: str | None) -> User | None:
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
