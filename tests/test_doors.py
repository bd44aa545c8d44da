"""Doors hold no transaction: every write action owns its own (`backend.db.own_transaction`).

A door (a page's state, a component, the CLI, a Celery task, an HTTP route under
`backend/api/`, Twilio's webhooks among them) parses its input, calls one backend action with
an actor and arguments, and shows the answer through a read model. So, read from the source
of every door module: it never commits, never opens or imports a session (`session_scope`,
`Session`, `sqlmodel`), never passes a `session` to anything, and never calls the
session-taking `<action>_in` form of an action, which is for backend services composing
several steps in one transaction.

Twilio's side (`backend/telephony/`) is not a door here: it is the service the webhook
routes (`backend/api/webhooks.py`, checked) call, and it composes the message's record, its
receipt and what it changed in one transaction on purpose (see its module docs).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.paths import ROOT

DOORS = ("state/*.py", "components/**/*.py", "app/**/*.py", "cli/*.py", "tasks/*.py")
DOORS_IN_BACKEND = ("backend/api/*.py",)
#: Names that mean holding a session or a transaction.
SESSION_NAMES = {"session_scope", "Session", "own_transaction"}


def _session_forms() -> set[str]:
    """The backend's `<action>_in(session, ...)` functions: an action's form for a caller's
    transaction."""
    forms = set()
    for path in (ROOT / "backend").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.FunctionDef)
                and node.name.endswith("_in")
                and node.args.args
                and node.args.args[0].arg == "session"
            ):
                forms.add(node.name)
    return forms


SESSION_FORMS = _session_forms()


def _door_modules() -> list[Path]:
    found = {path for pattern in DOORS + DOORS_IN_BACKEND for path in ROOT.glob(pattern)}
    return sorted(found)


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    problems = []

    def say(node: ast.AST, what: str) -> None:
        problems.append(f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module == "sqlmodel" or module.startswith(("sqlalchemy.orm", "sqlmodel.")):
                say(node, f"imports from {module}")
            for alias in node.names:
                if alias.name in SESSION_NAMES:
                    say(node, f"imports {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "sqlmodel" or alias.name.startswith("sqlalchemy.orm"):
                    say(node, f"imports {alias.name}")
        elif isinstance(node, ast.Attribute) and node.attr in SESSION_NAMES:
            say(node, f"uses .{node.attr}")
        elif isinstance(node, ast.arg) and node.arg in ("session", "_session"):
            say(node, "takes a session parameter")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "commit":
                say(node, "commits")
            if name in SESSION_FORMS:
                say(node, f"calls {name}, the session-taking form of an action")
            given = [*node.args, *(keyword.value for keyword in node.keywords)]
            if any(isinstance(arg, ast.Name) and arg.id == "session" for arg in given) or any(
                keyword.arg == "session" for keyword in node.keywords
            ):
                say(node, f"passes a session to {ast.unparse(func)}")
    return problems


def test_the_doors_are_found() -> None:
    doors = {str(path.relative_to(ROOT)) for path in _door_modules()}
    for expected in ("state/tokens.py", "cli/objects.py", "tasks/dispatch.py", "app/app.py"):
        assert expected in doors
    assert "backend/api/manage.py" in doors and "backend/api/webhooks.py" in doors


@pytest.mark.parametrize("path", _door_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_door_holds_no_session_and_never_commits(path: Path) -> None:
    assert _problems(path) == []


def test_the_check_sees_what_it_forbids(tmp_path: Path, monkeypatch) -> None:
    """The scan itself: a door written the old way is caught on every count."""
    monkeypatch.setattr("tests.test_doors.ROOT", tmp_path)
    old = tmp_path / "old_door.py"
    old.write_text(
        "from backend.db import session_scope\n"
        "from sqlmodel import Session\n"
        "def handler(session: Session, args):\n"
        "    with session_scope() as s:\n"
        "        store.rollback(session, args.slug, 1)\n"
        "        store.set_limits_in(s, args.slug, {})\n"
        "        s.commit()\n"
        "    jobs.schedule(session=s)\n"
    )
    found = "\n".join(_problems(old))
    assert "set_limits_in" in SESSION_FORMS and "log_in" not in SESSION_FORMS
    for what in (
        "imports session_scope",
        "imports from sqlmodel",
        "takes a session parameter",
        "passes a session to store.rollback",
        "calls set_limits_in",
        "commits",
        "passes a session to jobs.schedule",
    ):
        assert what in found, found
