"""One account per email whatever its case; log-out and new passwords end sessions; wrong
passwords slowed, then refused (backend.accounts.auth, backend.accounts.sign_in_limits), on SQLite
and
PostgreSQL. The web door is covered in tests/web/test_accounts.py, the CLI here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

import cli.main as cli
from backend import config, db
from backend.access.audit import Actor
from backend.access.permissions import PermissionDenied
from backend.accounts import auth, sign_in_limits, users
from backend.enums import Channel, EventName
from backend.errors import Conflict, InvalidInput, ProductError
from backend.models import AuditEntry, Event, SignInFailures, User

PASSWORD = "long enough"


def _sign_up(email: str = "ada@example.com", name: str = "Ada") -> User:
    with db.session_scope() as session:
        return auth.sign_up_in(session, name=name, email=email, password=PASSWORD)


# --- one account per email --------------------------------------------------------------------


def test_an_email_is_one_account_whatever_its_case(migrated_db: str) -> None:
    ada = _sign_up("Ada.Lovelace@Example.COM")
    assert ada.email == "ada.lovelace@example.com"
    for spelling in ("ada.lovelace@example.com", "ADA.LOVELACE@example.com"):
        with db.session_scope() as session, pytest.raises(Conflict, match="already exists"):
            auth.sign_up_in(session, name="Twin", email=spelling, password=PASSWORD)
        with db.session_scope() as session, pytest.raises(Conflict, match="already exists"):
            users.add_user_in(session, name="Twin", email=spelling)
    for spelling in ("ada.lovelace@example.com", "ADA.Lovelace@EXAMPLE.com"):
        user, _ = auth.log_in(spelling, PASSWORD)
        assert user.id == ada.id
    with db.session_scope() as session:
        assert users.get_user_by_email(session, "ADA.LOVELACE@example.com").id == ada.id
        assert len(session.exec(select(User)).all()) == 1
        created = session.exec(select(AuditEntry).where(AuditEntry.action == "user.created"))
        assert [entry.actor for entry in created] == ["ada.lovelace@example.com"]


def test_the_cli_knows_one_account_per_email(migrated_db: str, capsys) -> None:
    assert cli.main(["users", "add", "--name", "Ada", "--email", "Ada@Example.com"]) == 0
    assert "added user ada@example.com" in capsys.readouterr().out
    assert cli.main(["users", "add", "--name", "Twin", "--email", "ADA@example.com"]) == 2
    assert "a user with email ada@example.com already exists" in capsys.readouterr().err
    as_ada = ["--as", "ADA@EXAMPLE.COM"]
    assert cli.main([*as_ada, "tokens", "create", "--user", "ada@example.com"]) == 0
    assert "dob_" in capsys.readouterr().out


# --- sessions end on the server ---------------------------------------------------------------


def test_log_out_ends_the_session(migrated_db: str) -> None:
    _sign_up()
    _, first = auth.log_in("ada@example.com", PASSWORD)
    _, second = auth.log_in("ada@example.com", PASSWORD)  # another browser
    auth.log_out(first)
    with db.session_scope() as session:
        assert auth.user_from_token(session, first) is None
        assert auth.user_from_token(session, second) is None, "log-out ends every session"
    auth.log_out(first)  # an ended token logs out nothing more
    auth.log_out("junk")
    _, fresh = auth.log_in("ada@example.com", PASSWORD)
    with db.session_scope() as session:
        assert auth.user_from_token(session, fresh).email == "ada@example.com"


def test_change_password(migrated_db: str) -> None:
    ada = _sign_up()
    bob = _sign_up("bob@example.com", "Bob")
    _, elsewhere = auth.log_in("ada@example.com", PASSWORD)
    me = Actor.for_user(ada, Channel.WEB)
    for current, new, message in (
        ("not it at all", "a new password", "current password is not right"),
        (PASSWORD, "short", "at least 8 characters"),
        (PASSWORD, PASSWORD, "the same as the current one"),
    ):
        with pytest.raises(InvalidInput, match=message):
            auth.change_password(ada.id, current, new, actor=me)
    with pytest.raises(PermissionDenied, match="Only an admin can add or change users"):
        auth.change_password(ada.id, PASSWORD, "a new password", actor=Actor.for_user(bob, "web"))

    token = auth.change_password(ada.id, PASSWORD, "a new password", actor=me)
    with db.session_scope() as session:
        assert auth.user_from_token(session, token).id == ada.id, "this tab stays signed in"
        assert auth.user_from_token(session, elsewhere) is None, "other sessions end"
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == EventName.USER_PASSWORD_CHANGED)
        ).one()
        assert (entry.actor, entry.detail) == ("ada@example.com", {"user_id": ada.id})
    with pytest.raises(auth.WrongPassword):
        auth.log_in("ada@example.com", PASSWORD)
    assert auth.log_in("ada@example.com", "a new password")[0].id == ada.id


# --- wrong passwords: slowed, then refused ----------------------------------------------------


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """Time as the sign-in limits see it; a test moves it on with `clock[0] += ...`."""
    now = [datetime(2026, 1, 1, 12, 0, tzinfo=UTC)]
    monkeypatch.setattr(sign_in_limits, "utcnow", lambda: now[0])
    return now


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "SIGN_IN_SLOW_AFTER": "2",
        "SIGN_IN_LOCK_AFTER": "4",
        "SIGN_IN_DELAY_SECONDS": "1",
        "SIGN_IN_LOCK_MINUTES": "15",
        "SIGN_IN_ADDRESS_FACTOR": "2",
    }.items():
        monkeypatch.setenv(name, value)
    config.reload_settings()


def _refused(email: str, password: str, address: str = "203.0.113.7") -> str:
    with pytest.raises(ProductError) as wrong:
        auth.log_in(email, password, address=address)
    return str(wrong.value)


def test_wrong_passwords_are_slowed_then_refused_for_a_while(migrated_db, limits, clock) -> None:
    _sign_up()
    assert _refused("ada@example.com", "guess 1") == auth.BAD_LOGIN
    assert _refused("ada@example.com", "guess 2") == auth.BAD_LOGIN
    # Slowed: a try before the wait is over is refused, even with the right password.
    slowed = "too many wrong passwords for this account: wait 1 second before trying again"
    assert _refused("ada@example.com", PASSWORD) == slowed
    clock[0] += timedelta(seconds=1)
    assert _refused("ada@example.com", "guess 3") == auth.BAD_LOGIN
    assert "wait 2 seconds" in _refused("ada@example.com", PASSWORD), "the wait doubles"
    clock[0] += timedelta(seconds=2)
    assert _refused("ada@example.com", "guess 4") == auth.BAD_LOGIN

    clock[0] += timedelta(minutes=5)
    assert _refused("ada@example.com", PASSWORD) == (
        "too many wrong passwords for this account: sign-in is refused for now; "
        "try again in 10 minutes"
    )
    with db.session_scope() as session:
        locked = session.exec(select(Event).where(Event.name == EventName.SIGN_IN_LOCKED)).one()
        assert locked.payload["key"] == "account:ada@example.com"
        assert locked.payload["actor"] == "203.0.113.7"

    clock[0] += timedelta(minutes=10)
    user, _ = auth.log_in("ada@example.com", PASSWORD, address="203.0.113.7")
    assert user.email == "ada@example.com"
    with db.session_scope() as session:
        keys = session.exec(select(SignInFailures.key)).all()
    assert keys == ["address:203.0.113.7"], "a right password clears the account's count"


def test_one_address_guessing_many_accounts_is_refused(migrated_db, limits, clock) -> None:
    _sign_up()
    # Unknown emails count like real ones: the answers don't tell which accounts exist.
    # (The address may have twice the account's 4: eight wrong passwords.)
    for n in range(8):
        clock[0] += timedelta(minutes=1)
        assert _refused(f"person{n}@example.com", "guess") == auth.BAD_LOGIN
    clock[0] += timedelta(minutes=1)
    assert "for this account" not in _refused("ada@example.com", PASSWORD)
    assert "from this address" in _refused("ada@example.com", PASSWORD)
    # Another address still signs in; the failures are forgotten after the lock's time.
    assert auth.log_in("ada@example.com", PASSWORD, address="198.51.100.1")[0].name == "Ada"
    clock[0] += timedelta(minutes=15)
    assert auth.log_in("ada@example.com", PASSWORD, address="203.0.113.7")[0].name == "Ada"


def test_a_wrong_current_password_counts_too(migrated_db, limits, clock) -> None:
    ada = _sign_up()
    me = Actor.for_user(ada, Channel.WEB)
    for _ in range(2):
        with pytest.raises(auth.WrongPassword):
            auth.change_password(ada.id, "guess", "a new password", actor=me)
    with pytest.raises(sign_in_limits.TooManyAttempts, match="wait 1 second"):
        auth.change_password(ada.id, PASSWORD, "a new password", actor=me)
