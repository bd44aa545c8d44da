"""Passwords, sign up, log in and session tokens (backend.accounts.auth), on SQLite and
PostgreSQL."""

from __future__ import annotations

import time

import pytest
from sqlmodel import select

from backend import db
from backend.accounts import auth, users
from backend.errors import Conflict, InvalidInput
from backend.models import AuditEntry, Event, User


def test_hash_and_verify_password() -> None:
    stored = auth.hash_password("correct horse")
    assert stored.startswith("scrypt$") and "correct horse" not in stored
    assert auth.verify_password("correct horse", stored)
    assert not auth.verify_password("wrong horse", stored)
    assert auth.hash_password("correct horse") != stored  # a fresh salt each time
    for broken in (None, "", "md5$abc", "scrypt$x$y"):
        assert not auth.verify_password("correct horse", broken)


def test_first_user_is_admin_and_user_created_is_emitted(migrated_db: str) -> None:
    with db.session_scope() as session:
        first = auth.sign_up_in(
            session,
            name="Ada",
            email="Ada@Example.com",
            password="long enough",
            phone="+1 555 123 4567",
        )
        second = auth.sign_up_in(
            session, name="Bob", email="bob@example.com", password="long enough"
        )
        assert (first.is_admin, second.is_admin) == (True, False)
        assert first.email == "ada@example.com" and first.phone == "+15551234567"
    with db.session_scope() as session:
        created = session.exec(select(Event).where(Event.name == "user.created")).all()
        assert [e.payload["is_admin"] for e in created] == [True, False]
        assert session.exec(select(AuditEntry).where(AuditEntry.action == "user.created")).first()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"password": "short"}, "at least 8 characters"),
        ({"email": "not-an-email"}, "is not valid"),
        ({"name": "  "}, "name is empty"),
        ({"phone": "12"}, "E.164"),
    ],
)
def test_sign_up_refuses_bad_input(migrated_db: str, fields: dict, message: str) -> None:
    values = {"name": "Ada", "email": "ada@example.com", "password": "long enough", **fields}
    with db.session_scope() as session, pytest.raises(InvalidInput, match=message):
        auth.sign_up_in(session, **values)


def test_sign_up_refuses_a_used_email(migrated_db: str) -> None:
    with db.session_scope() as session:
        auth.sign_up_in(session, name="Ada", email="ada@example.com", password="long enough")
    with db.session_scope() as session, pytest.raises(Conflict, match="already exists"):
        auth.sign_up_in(session, name="Ada 2", email="ada@example.com", password="long enough")


def test_authenticate(migrated_db: str) -> None:
    with db.session_scope() as session:
        auth.sign_up_in(session, name="Ada", email="ada@example.com", password="long enough")
    with db.session_scope() as session:
        assert auth.authenticate(session, "ADA@example.com", "long enough").name == "Ada"
        for email, password in (
            ("ada@example.com", "wrong password"),
            ("nobody@example.com", "long enough"),
            ("not an email", "long enough"),
        ):
            with pytest.raises(InvalidInput) as caught:
                auth.authenticate(session, email, password)
            assert str(caught.value) == auth.BAD_LOGIN


def test_session_tokens(migrated_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with db.session_scope() as session:
        user = auth.sign_up_in(session, name="Ada", email="ada@example.com", password="long enough")
        token = auth.issue_session_token(user)
        assert auth.user_from_token(session, token).id == user.id
        user_id, generation, expiry, signature = token.split(".")
        for forged in (
            f"{int(user_id) + 1}.{generation}.{expiry}.{signature}",
            f"{user_id}.{int(generation) + 1}.{expiry}.{signature}",
            f"{user_id}.{generation}.{int(expiry) + 1}.{signature}",
            f"{user_id}.{expiry}.{signature}",  # the old form, without a generation
        ):
            assert auth.user_from_token(session, forged) is None
        for junk in ("", None, "a.b", "1.2.3", "1.2.3.4.5", "x.y.z.w"):
            assert auth.user_from_token(session, junk) is None
        expired = auth.issue_session_token(user, hours=-1)
        assert auth.user_from_token(session, expired) is None
        # Another key (SECRET_KEY set) invalidates every token signed with the old one.
        monkeypatch.setenv("SECRET_KEY", "another secret")
        from backend import config

        config.reload_settings()
        assert auth.user_from_token(session, token) is None
        assert auth.user_from_token(session, auth.issue_session_token(user)).id == user.id


def test_generated_secret_key_is_kept(migrated_db: str) -> None:
    from backend.config import get_settings

    first = auth.secret_key()
    assert first == auth.secret_key()
    path = get_settings().data_dir / "secret_key"
    assert path.read_text().strip().encode() == first
    assert path.stat().st_mode & 0o077 == 0
    assert len(first) >= 32 and time.time()


def test_update_profile(migrated_db: str) -> None:
    with db.session_scope() as session:
        ada = auth.sign_up_in(session, name="Ada", email="ada@example.com", password="long enough")
        bob = auth.sign_up_in(
            session,
            name="Bob",
            email="bob@example.com",
            password="long enough",
            phone="+15550000001",
        )
        ada_id, bob_id = ada.id, bob.id
    with db.session_scope() as session:
        user = users.update_profile_in(
            session, ada_id, name=" Ada L ", phone="+1 555 000 0002", preferred_channel="sms"
        )
        assert (user.name, user.phone, user.preferred_channel) == ("Ada L", "+15550000002", "sms")
        with pytest.raises(Conflict):
            users.update_profile_in(
                session, ada_id, name="Ada", phone="+15550000001", preferred_channel="sms"
            )
        with pytest.raises(InvalidInput, match="preferred channel"):
            users.update_profile_in(session, ada_id, name="Ada", phone="", preferred_channel="web")
    with db.session_scope() as session:
        user = users.update_profile_in(
            session, bob_id, name="Bob", phone="", preferred_channel="email"
        )
        assert user.phone is None
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == "user.updated")).all()
        assert len(entries) == 2
        assert session.get(User, ada_id).name == "Ada L"
