"""A person's own API tokens (the Tokens page's services): create one named, list, revoke.

Each person manages their own; admins anyone's. A revoked token is refused from then on,
over HTTP too; creating and revoking are actions (audit entry and event).
"""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from backend import db
from backend.access.audit import Actor
from backend.access.permissions import PermissionDenied
from backend.accounts import tokens, users
from backend.enums import Channel, EventName
from backend.errors import Conflict, InvalidInput
from backend.models import AuditEntry, Event
from tests.support.api_server import serve_api


def _people() -> tuple[Actor, Actor, Actor]:
    """(admin, Bob, Cy) as they act in the web app."""
    with db.session_scope() as session:
        people = [
            users.add_user_in(
                session, name=name, email=f"{name.lower()}@example.com", is_admin=admin
            )
            for name, admin in (("Ada", True), ("Bob", False), ("Cy", False))
        ]
        return tuple(Actor.for_user(user, Channel.WEB) for user in people)  # type: ignore[return-value]


def test_people_create_list_and_revoke_their_own_tokens(migrated_db):
    _, bob, cy = _people()
    with db.session_scope() as session:
        plain, token = tokens.create_own_token_in(session, name=" laptop ", actor=bob)
        tokens.create_own_token_in(session, name="ci", actor=bob)
        tokens.create_own_token_in(session, name="cy's", actor=cy)
        assert plain.startswith(tokens.TOKEN_PREFIX) and token.name == "laptop"
        assert token.prefix == plain[:10] and plain not in token.token_hash
        with pytest.raises(InvalidInput, match="give the token a name"):
            tokens.create_own_token_in(session, name="  ", actor=bob)
        listed = tokens.list_tokens(session, user_id=bob.user_id, actor=bob)
        assert [t.name for t in listed] == ["ci", "laptop"]  # newest first, Bob's only
        token_id = token.id

    with db.session_scope() as session:
        assert tokens.authenticate(session, f"Bearer {plain}").email == "bob@example.com"
        revoked = tokens.revoke_token_in(session, token_id, actor=bob)
        assert revoked.revoked_at is not None
    with db.session_scope() as session:
        assert tokens.authenticate(session, f"Bearer {plain}") is None
        with pytest.raises(Conflict, match="already revoked"):
            tokens.revoke_token_in(session, token_id, actor=bob)
        # Still listed, as revoked: a person sees what they revoked.
        listed = tokens.list_tokens(session, user_id=bob.user_id, actor=bob)
        assert [t.revoked_at is not None for t in listed] == [False, True]

        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == EventName.TOKEN_REVOKED)
        ).one()
        assert (entry.actor, entry.detail["name"]) == ("bob@example.com", "laptop")
        assert session.exec(select(Event).where(Event.name == EventName.TOKEN_REVOKED)).one()


def test_other_peoples_tokens_are_for_admins_only(migrated_db):
    ada, bob, cy = _people()
    with db.session_scope() as session:
        _, token = tokens.create_own_token_in(session, name="bob's", actor=bob)
        token_id = token.id
    with db.session_scope() as session:
        with pytest.raises(PermissionDenied, match="Only an admin can manage API tokens"):
            tokens.list_tokens(session, user_id=bob.user_id, actor=cy)
        with pytest.raises(PermissionDenied, match="Only an admin can manage API tokens"):
            tokens.revoke_token_in(session, token_id, actor=cy)
        assert len(tokens.list_tokens(session, user_id=bob.user_id, actor=ada)) == 1
    with db.session_scope() as session:
        tokens.revoke_token_in(session, token_id, actor=ada)
    with db.session_scope() as session:
        nobody = Actor(name="anonymous", channel=Channel.WEB)
        with pytest.raises(InvalidInput, match="log in first"):
            tokens.create_own_token_in(session, name="x", actor=nobody)


def test_a_revoked_token_is_refused_over_http(migrated_db):
    _, bob, _ = _people()
    with db.session_scope() as session:
        plain, token = tokens.create_own_token_in(session, name="script", actor=bob)
        token_id = token.id
    with serve_api() as server, httpx.Client(timeout=30) as client:
        headers = {"Authorization": f"Bearer {plain}"}
        assert client.get(f"{server}/api/manage/objects", headers=headers).status_code == 200
        with db.session_scope() as session:
            tokens.revoke_token_in(session, token_id, actor=bob)
        refused = client.get(f"{server}/api/manage/objects", headers=headers)
        assert refused.status_code == 401 and "revoked" in refused.json()["error"]
