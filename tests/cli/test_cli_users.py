"""`users set-password` and the invite link `users add` prints: a person added on the command
line can get into the web app (the page the link opens is tested in tests/web/test_invite.py)."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlparse

import pytest
from sqlmodel import select

import cli.main as cli
from backend import config, db
from backend.accounts import auth, invites
from backend.enums import EventName
from backend.errors import Conflict
from backend.models import AuditEntry


def run(*args: str) -> int:
    return cli.main(list(args))


def _token(url: str) -> str:
    return parse_qs(urlparse(url).query)["token"][0]


def _signs_in(email: str, password: str) -> bool:
    with db.session_scope() as session:
        try:
            auth.authenticate(session, email, password)
        except auth.WrongPassword:
            return False
        return True


def test_users_add_prints_a_one_time_link_that_sets_the_password(sqlite_db, capsys):
    assert run("users", "add", "--name", "Ada", "--email", "ada@example.com", "--admin") == 0
    out = capsys.readouterr().out
    assert out.startswith("added user ada@example.com (id 1)\n")
    assert "Send ada@example.com this link to set their password and sign in (once, until " in out
    url = re.search(r"http://localhost:3000/invite\?token=\S+", out).group(0)

    assert invites.check_link(_token(url)).email == "ada@example.com"
    session_token = invites.accept(_token(url), "correct horse 1")
    with db.session_scope() as session:
        assert auth.user_from_token(session, session_token).email == "ada@example.com"
    assert _signs_in("ada@example.com", "correct horse 1")

    # Used once: it says so, and sets nothing.
    with pytest.raises(invites.InviteRefused, match="already used: a password has been set"):
        invites.accept(_token(url), "another password 2")
    assert _signs_in("ada@example.com", "correct horse 1")
    with db.session_scope() as session:
        actions = [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == [
        EventName.USER_CREATED,
        EventName.USER_INVITED,
        EventName.USER_PASSWORD_CHANGED,
    ]

    # --json carries the link too; a forged or cut link is not one of ours.
    assert run("users", "add", "--name", "Bob", "--email", "bob@example.com", "--json") == 0
    added = json.loads(capsys.readouterr().out)
    assert added["email"] == "bob@example.com" and added["invite_expires_at"]
    with pytest.raises(invites.InviteRefused, match="not a valid invitation"):
        invites.check_link(_token(added["invite_url"])[:-3])


def test_an_expired_link_says_so_and_users_invite_makes_a_new_one(
    sqlite_db, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("INVITE_TTL_HOURS", "0.0000001")  # gone before it is used
    config.reload_settings()
    assert run("users", "add", "--name", "Ada", "--email", "ada@example.com", "--admin") == 0
    old = re.search(r"\S+/invite\?token=\S+", capsys.readouterr().out).group(0)
    with pytest.raises(invites.InviteRefused, match=r"expired on .* ask an admin for a new one"):
        invites.accept(_token(old), "correct horse 1")

    monkeypatch.delenv("INVITE_TTL_HOURS")
    config.reload_settings()
    assert run("users", "invite", "ada@example.com") == 0
    new = re.search(r"\S+/invite\?token=\S+", capsys.readouterr().out).group(0)
    invites.accept(_token(new), "correct horse 1")
    assert _signs_in("ada@example.com", "correct horse 1")


def test_set_password_asks_twice_or_takes_it_for_scripts(sqlite_db, monkeypatch, capsys):
    assert run("users", "add", "--name", "Ada", "--email", "ada@example.com", "--admin") == 0
    assert run("users", "add", "--name", "Bob", "--email", "bob@example.com") == 0
    link = re.findall(r"\S+/invite\?token=\S+", capsys.readouterr().out)[-1]  # Bob's

    answers = iter(["battery staple 2", "battery staple 2"])
    prompts: list[str] = []
    monkeypatch.setattr(
        "getpass.getpass", lambda prompt="": prompts.append(prompt) or next(answers)
    )
    assert run("users", "set-password", "bob@example.com") == 0
    assert prompts == ["New password for bob@example.com: ", "The same password again: "]
    assert "password set for bob@example.com" in capsys.readouterr().out
    assert _signs_in("bob@example.com", "battery staple 2")
    # A password set otherwise ends the links made before.
    with pytest.raises(invites.InviteRefused, match="already used"):
        invites.check_link(_token(link))

    answers = iter(["one password", "another one"])
    assert run("users", "set-password", "bob@example.com") == 2
    assert "the two passwords differ" in capsys.readouterr().err
    assert run("users", "set-password", "bob@example.com", "--password", "short") == 2
    assert "at least 8 characters" in capsys.readouterr().err
    assert _signs_in("bob@example.com", "battery staple 2")

    # A member sets only their own; an admin anybody's.
    assert (
        run("--as", "bob@example.com", "users", "set-password", "ada@example.com",
            "--password", "not yours 123")
        == 2
    )  # fmt: skip
    assert "Only an admin can add or change users" in capsys.readouterr().err
    assert run("--as", "bob@example.com", "users", "set-password", "bob@example.com",
               "--password", "my own one 3") == 0  # fmt: skip
    assert _signs_in("bob@example.com", "my own one 3")
    assert run("users", "set-password", "nobody@example.com", "--password", "whatever 12") == 2


def test_signing_up_with_an_email_an_admin_added_says_how_to_get_in(sqlite_db, capsys):
    assert run("users", "add", "--name", "Ada", "--email", "ada@example.com", "--admin") == 0
    refused = r"an admin already added ada@example.com, without a password: open the invite"
    with pytest.raises(Conflict, match=refused), db.session_scope() as session:
        auth.sign_up_in(session, name="Ada", email="ADA@example.com", password="long enough")
