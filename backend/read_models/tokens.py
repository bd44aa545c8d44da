"""A person's API tokens as the Tokens page lists them (never the token itself)."""

from __future__ import annotations

import dataclasses

from backend.access import audit
from backend.accounts import tokens
from backend.db import session_scope
from backend.models import ApiToken
from backend.read_models.display import when


@dataclasses.dataclass
class TokenRow:
    id: int
    name: str
    prefix: str  # the first characters, so a person can match it to what they pasted
    created: str
    last_used: str  # "" when never used
    revoked: str  # when it was revoked, "" while it works


def token_row(token: ApiToken) -> TokenRow:
    return TokenRow(
        id=token.id or 0,
        name=token.name,
        prefix=token.prefix,
        created=when(token.created_at),
        last_used=when(token.last_used_at),
        revoked=when(token.revoked_at),
    )


def read_own_tokens(actor: audit.Actor) -> list[TokenRow]:
    """The acting person's tokens, newest first (revoked ones too)."""
    with session_scope() as session:
        user_id = actor.user_id or 0
        return [token_row(t) for t in tokens.list_tokens(session, user_id=user_id, actor=actor)]
