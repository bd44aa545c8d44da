"""`python -m backend`: the round trip as a real process, and bad input that writes nothing."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import inspect, make_url
from sqlmodel import func, select

import cli.main as cli
from backend import db
from backend.enums import JobKind
from backend.models import SQLModel, Task
from tests.support.paths import ROOT

MAIN_V1 = "def area(width: float, height: float = 1.0) -> float:\n    return width * height\n"
MAIN_V2 = "def area(width: float, height: float = 2.0) -> float:\n    return width * height\n"


Run = Callable[..., subprocess.CompletedProcess[str]]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m backend ARGS` in `cwd`, as a real process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "backend", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def run_here(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The same command through `cli.main.main` in this process, in `cwd`: its exit status
    (argparse's usage errors too), stdout and stderr, as `run_cli` returns them."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = cli.main(list(args))
        except SystemExit as exit_:
            status = exit_.code
    return subprocess.CompletedProcess(
        ["python", "-m", "backend", *args], status, out.getvalue(), err.getvalue()
    )


def runner_for(database_url: str) -> Run:
    """A real process on SQLite, where every test machine runs it: `python -m backend` itself,
    its start on a fresh database, exit codes and output. On PostgreSQL the same commands
    through `cli.main.main` here, without an interpreter's start for each."""
    return run_cli if make_url(database_url).get_backend_name() == "sqlite" else run_here


def ok(*args: str, cwd: Path, run: Run) -> str:
    result = run(*args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_round_trip_create_edit_diff_rollback_on_a_fresh_database(empty_db, tmp_path, data_dir):
    """Starts on an empty database: the CLI brings the schema up to date itself."""
    run = runner_for(empty_db)
    work = tmp_path / "work"
    work.mkdir()
    (work / "main.py").write_text(MAIN_V1)
    (work / "helpers.py").write_text("UNIT = 'm2'\n")

    ok(
        "users",
        "add",
        "--name",
        "Ada",
        "--email",
        "ada@example.com",
        "--phone",
        "+15551234567",
        "--admin",
        cwd=work,
        run=run,
    )
    users = json.loads(ok("users", "list", "--json", cwd=work, run=run))
    assert [(u["email"], u["phone"], u["is_admin"]) for u in users] == [
        ("ada@example.com", "+15551234567", True)
    ]

    created = json.loads(
        ok(
            "objects",
            "create",
            "--slug",
            "area",
            "--name",
            "Area",
            "--description",
            "Sizes",
            "--kind",
            "library",
            "--file",
            "main.py",
            "--file",
            "lib/helpers.py=helpers.py",
            "--owner",
            "ada@example.com",
            "--json",
            cwd=work,
            run=run,
        )
    )
    assert created["version"]["files"] == ["lib/helpers.py", "main.py"]
    assert created["version"]["api"] == ["area(width: float, height: float = 1.0) -> float"]

    (work / "main.py").write_text(MAIN_V2)
    assert "saved area v2" in ok(
        "objects", "edit", "area", "--file", "main.py", "--message", "taller", cwd=work, run=run
    )
    versions = json.loads(ok("objects", "versions", "area", "--json", cwd=work, run=run))
    assert [(v["number"], v["message"]) for v in versions] == [
        (1, "Initial version"),
        (2, "taller"),
    ]

    diff = ok("objects", "diff", "area", "1", "2", cwd=work, run=run)
    assert "--- v1/main.py\n+++ v2/main.py" in diff
    assert "-def area(width: float, height: float = 1.0) -> float:" in diff
    assert "+def area(width: float, height: float = 2.0) -> float:" in diff

    assert "rolled area back to v1 as v3" in ok(
        "objects", "rollback", "area", "1", cwd=work, run=run
    )
    shown = json.loads(ok("objects", "show", "area", "--json", cwd=work, run=run))
    assert shown["current_version"] == 3
    assert shown["version"]["file_contents"]["main.py"] == MAIN_V1
    old = json.loads(ok("objects", "show", "area", "--version", "2", "--json", cwd=work, run=run))
    assert old["version"]["file_contents"]["main.py"] == MAIN_V2
    assert ok("objects", "diff", "area", "1", "3", cwd=work, run=run).strip() == (
        "v1 and v3 have the same files"
    )

    listing = ok("objects", "list", cwd=work, run=run)
    assert "area" in listing and "library" in listing
    for number, main in [(1, MAIN_V1), (2, MAIN_V2), (3, MAIN_V1)]:
        folder = data_dir / "objects" / "area" / f"v{number}"
        assert (folder / "main.py").read_bytes() == main.encode()
        assert (folder / "lib" / "helpers.py").read_bytes() == b"UNIT = 'm2'\n"


def test_help_lists_every_command_without_importing_them():
    """`--help` comes from a parser that knows the commands by name and help line only
    (`cli.main.NOUNS`): what it lists is what the commands' modules add, and printing it (or a
    usage error) starts no service, neither the database layer nor the assistant nor Celery."""
    assert cli.build_parser(nouns=()).format_help() == cli.build_parser().format_help()
    check = (
        "import sys, cli.main\n"
        "for argv in (['--help'], ['nope'], []):\n"
        "    try:\n"
        "        cli.main.main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "started = ['sqlmodel', 'backend.models', 'backend.assistant', 'tasks.dispatch']\n"
        "print(sorted(name for name in started if name in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "usage: python -m backend" in done.stdout and "invalid choice: 'nope'" in done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


def _row_counts() -> dict[str, int]:
    with db.session_scope() as session:
        return {
            table.name: session.exec(select(func.count()).select_from(table)).one()
            for table in SQLModel.metadata.sorted_tables
        }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["objects", "show", "nope"], "no object with slug 'nope'"),
        (
            ["objects", "create", "--slug", "area", "--name", "X", "--file", "main.py"],
            "already exists",
        ),
        (["objects", "create", "--slug", "New_One", "--name", "X", "--file", "main.py"], "slug"),
        (
            ["objects", "create", "--slug", "other", "--name", "X", "--file", "missing.py"],
            "file 'missing.py' not found",
        ),
        (["objects", "edit", "area", "--file", "missing.py"], "not found"),
        (["objects", "edit", "area", "--remove", "main.py"], "at least one file"),
        (["objects", "diff", "area", "1", "9"], "no version 9"),
        (["objects", "rollback", "area", "4"], "no version 4"),
        (["objects", "rollback", "area", "1"], "already the current version"),
        (
            ["users", "add", "--name", "Bob", "--email", "bob@example.com", "--phone", "555-1234"],
            "E.164",
        ),
        (["users", "add", "--name", "Bob", "--email", "ada@example.com"], "already exists"),
        (["objects", "show", "area", "--version", "two"], "invalid int value"),
        (["objects", "frobnicate"], "invalid choice"),
        (["objects", "create", "--slug", "x", "--file", "main.py"], "--name"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    migrated_db, tmp_path, monkeypatch, capsys, args, message
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "main.py").write_text(MAIN_V1)
    assert cli.main(["users", "add", "--name", "Ada", "--email", "ada@example.com"]) == 0
    assert (
        cli.main(["objects", "create", "--slug", "area", "--name", "A", "--file", "main.py"]) == 0
    )
    capsys.readouterr()
    before = _row_counts()
    on_disk = sorted(p.name for p in (Path(os.environ["DATA_DIR"]) / "objects" / "area").iterdir())

    try:
        status = cli.main(args)
    except SystemExit as exit_:  # argparse's usage errors
        status = exit_.code
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: ") and message in err
    assert _row_counts() == before
    assert (
        sorted(p.name for p in (Path(os.environ["DATA_DIR"]) / "objects" / "area").iterdir())
        == on_disk
    )


def test_db_upgrade_command_reports_the_revision(empty_db, tmp_path):
    out = json.loads(ok("db", "upgrade", "--json", cwd=tmp_path, run=runner_for(empty_db)))
    assert out["revision"] == db.head_revision()
    assert "durable_object" in inspect(db.get_engine()).get_table_names()


def test_deploy_call_visibility_and_tokens(sqlite_db, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "main.py").write_text(
        "from storage import get, put\n\n"
        "def bump(by: int = 1) -> int:\n"
        "    put('n', get('n', 0) + by)\n"
        "    return get('n')\n\n"
        "def fail() -> None:\n"
        "    raise KeyError('missing')\n"
    )
    (tmp_path / "test_main.py").write_text(
        "from main import bump\n\ndef test_bump():\n    assert bump(2) == 2\n"
    )
    assert cli.main(["users", "add", "--name", "Ada", "--email", "ada@example.com"]) == 0
    assert (
        cli.main(
            [
                "objects",
                "create",
                "--slug",
                "bumper",
                "--name",
                "B",
                "--file",
                "main.py",
                "--file",
                "test_main.py",
            ]
        )
        == 0
    )
    capsys.readouterr()

    assert cli.main(["objects", "deploy", "bumper", "--json"]) == 0
    out, err = capsys.readouterr()
    deployed = json.loads(out)
    assert deployed["status"] == "live" and "PASS test_main.py::test_bump" in deployed["logs"]
    # The deploy job, run here (no worker): its progress on stderr, its Task row kept.
    assert "[ 50%] running the tests of v1" in err
    with db.session_scope() as session:
        (task,) = session.exec(select(Task).where(Task.kind == JobKind.OBJECT_DEPLOY)).all()
        assert (task.status, task.result["deployment_id"]) == ("succeeded", deployed["id"])

    assert cli.main(["objects", "call", "bumper", "bump", "--args", '{"by": 5}']) == 0
    assert capsys.readouterr().out.strip() == "5"
    assert cli.main(["objects", "call", "bumper", "fail"]) == 1
    assert capsys.readouterr().err == "error: KeyError: 'missing' (main.py:8 in fail)\n"
    assert cli.main(["objects", "call", "bumper", "bump", "--args", "{oops"]) == 2
    assert "not valid JSON" in capsys.readouterr().err

    assert cli.main(["objects", "visibility", "bumper", "public", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["is_public"] is True
    assert cli.main(["tokens", "create", "--user", "ada@example.com", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["token"].startswith("dob_")
    assert cli.main(["tokens", "create", "--user", "nobody@example.com"]) == 2

    (tmp_path / "test_main.py").write_text("def test_fails():\n    assert False, 'nope'\n")
    assert cli.main(["objects", "edit", "bumper", "--file", "test_main.py"]) == 0
    capsys.readouterr()
    assert cli.main(["objects", "deploy", "bumper"]) == 1
    err = capsys.readouterr().err
    assert "failed" in err and "nope" in err


def test_per_object_limits_are_checked_and_used(sqlite_db, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "main.py").write_text(
        "import time\n\ndef nap(s: float) -> float:\n    time.sleep(s)\n    return s\n"
    )
    assert (
        cli.main(["objects", "create", "--slug", "napper", "--name", "N", "--file", "main.py"]) == 0
    )
    assert cli.main(["objects", "deploy", "napper"]) == 0
    assert cli.main(["objects", "limits", "napper", "wall_seconds=0.5", "--json"]) == 0
    capsys.readouterr()
    assert cli.main(["objects", "limits", "napper", "bogus=1"]) == 2
    assert "unknown sandbox limits" in capsys.readouterr().err
    assert cli.main(["objects", "call", "napper", "nap", "--args", '{"s": 0.1}']) == 0
    assert cli.main(["objects", "call", "napper", "nap", "--args", '{"s": 3}']) == 1
    assert "timeout" in capsys.readouterr().err


def test_a_version_that_does_not_parse_says_so_everywhere(sqlite_db, tmp_path, monkeypatch, capsys):
    """Created and saved with a syntax error: warned at once, marked in `show`, `versions`
    and --json, and its evaluation scores 0 on every dimension with the parse error."""
    monkeypatch.chdir(tmp_path)
    error = "main.py line 1: expected ':'"
    (tmp_path / "main.py").write_text("def area(width: float) -> float\n    return width\n")
    create = ["objects", "create", "--slug", "area", "--name", "A", "--file", "main.py"]
    assert cli.main(create) == 0
    assert capsys.readouterr().out.splitlines() == [
        "created area v1 (1 files)",
        f"warning: v1 does not parse: {error} (it can't be deployed until it parses)",
    ]

    assert cli.main(["objects", "list"]) == 0
    assert capsys.readouterr().out.splitlines()[1].endswith(f"does not parse: {error}")
    assert cli.main(["objects", "show", "area"]) == 0
    shown = capsys.readouterr().out
    assert f"code: does not parse: {error}\napi:\n  (unknown: the code does not parse)" in shown
    assert cli.main(["objects", "show", "area", "--json"]) == 0
    version = json.loads(capsys.readouterr().out)["version"]
    assert (version["parses"], version["syntax_error"]) == (False, error)

    assert cli.main(["evaluate", "area", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "reject" and report["overall_score"] == 0.0
    for name, dimension in report["dimensions"].items():
        assert dimension["score"] == 0.0, name
        assert any(error in reason for reason in dimension["reasons"]), dimension

    (tmp_path / "main.py").write_text("def area(width: float) -> float:\n    return width\n")
    assert cli.main(["objects", "edit", "area", "--file", "main.py", "--no-evaluate"]) == 0
    assert "warning" not in capsys.readouterr().out
    assert cli.main(["objects", "versions", "area"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].split() == ["NUMBER", "AUTHOR", "CREATED_AT", "MESSAGE", "CODE"]
    assert rows[1].endswith(f"does not parse: {error}") and rows[2].endswith("parses")
    assert cli.main(["objects", "versions", "area", "--json"]) == 0
    assert [v["parses"] for v in json.loads(capsys.readouterr().out)] == [False, True]
    assert cli.main(["objects", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["code"] == "parses"


def test_phones_and_pins(sqlite_db, monkeypatch, capsys):
    """`users add --phone` vouches for the number; a code verifies one; PINs are set and
    listed as set, never shown."""
    from tests.backend.accounts.test_phones import latest_code

    def run(*args: str) -> int:
        return cli.main(list(args))

    assert (
        run(
            "users",
            "add",
            "--name",
            "Ada",
            "--email",
            "ada@example.com",
            "--phone",
            "+15551230001",
            "--admin",
        )
        == 0
    )
    assert run("users", "add", "--name", "Bob", "--email", "bob@example.com") == 0
    capsys.readouterr()
    assert run("users", "verify-phone", "bob@example.com", "--phone", "+15551230002") == 0
    assert "a code was sent to +15551230002" in capsys.readouterr().out
    assert run("users", "confirm-phone", "bob@example.com", "000000x") == 2
    assert "6 digits" in capsys.readouterr().err
    assert run("users", "confirm-phone", "bob@example.com", latest_code(2)) == 0
    assert "+15551230002 of bob@example.com is verified" in capsys.readouterr().out

    assert run("users", "set-pin", "ada@example.com", "--pin", "12") == 2
    assert "4 to 8 digits" in capsys.readouterr().err
    assert (
        run("--as", "bob@example.com", "users", "set-pin", "ada@example.com", "--pin", "1234") == 2
    )
    assert "Only an admin" in capsys.readouterr().err
    answers = iter(["2468", "2468"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert run("--as", "bob@example.com", "users", "set-pin", "bob@example.com") == 0
    assert "PIN set for bob@example.com" in capsys.readouterr().out

    assert run("users", "add", "--name", "Cy", "--email", "cy@example.com") == 0
    assert run("users", "verify-phone", "cy@example.com", "--trusted") == 2
    assert "has no phone number" in capsys.readouterr().err
    assert run("users", "list", "--json") == 0
    listed = {u["email"]: u for u in json.loads(capsys.readouterr().out)}
    assert [(u["phone_verified"], u["has_pin"]) for u in listed.values()] == [
        (True, False),
        (True, True),
        (False, False),
    ]
    assert not any("pin_hash" in u for u in listed.values())
    assert run("users", "list") == 0
    heading = capsys.readouterr().out.splitlines()[0].split()
    assert heading[3:6] == ["PHONE", "PHONE_VERIFIED", "HAS_PIN"]


def test_keys_and_events(sqlite_db, capsys):
    assert cli.main(["keys", "create", "--source", "shop", "--json"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["source"] == "shop" and created["key"].startswith(created["prefix"])
    assert cli.main(["keys", "create", "--source", "bad name"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "letters, digits" in err
    assert cli.main(["keys", "list"]) == 0
    listed = capsys.readouterr().out
    assert "shop" in listed and created["prefix"] in listed and created["key"] not in listed
    assert cli.main(["keys", "revoke", "shop"]) == 0
    assert "revoked" in capsys.readouterr().out
    assert cli.main(["keys", "revoke", "shop"]) == 2
    assert "already revoked" in capsys.readouterr().err

    payment = '{"amount": 9.5, "currency": "usd", "customer": "c1", "reason": "declined"}'
    emit = ["events", "emit", "payment.failed", "--payload", payment, "--id", "p1", "--json"]
    assert cli.main(emit) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["payload"]["currency"] == "USD" and first["source"] == "cli"
    assert cli.main(emit) == 0
    assert json.loads(capsys.readouterr().out)["id"] == first["id"]
    assert cli.main(["events", "emit", "user.created", "--payload", '{"user_id": 7}']) == 0
    capsys.readouterr()
    for bad in (["--payload", "{oops"], ["--payload", '{"amount": "ten"}']):
        assert cli.main(["events", "emit", "payment.failed", *bad]) == 2
        assert capsys.readouterr().err.count("\n") == 1
    assert cli.main(["events", "emit", "payment.refunded"]) == 2
    assert "payment.failed, payment.succeeded" in capsys.readouterr().err

    assert cli.main(["events", "list", "--type", "payment.failed", "--json"]) == 0
    assert [e["id"] for e in json.loads(capsys.readouterr().out)] == [first["id"]]
    assert cli.main(["events", "list", "--limit", "1"]) == 0
    assert "user.created" in capsys.readouterr().out
    assert cli.main(["users", "add", "--name", "Bob", "--email", "bob@example.com"]) == 0
    assert cli.main(["--as", "bob@example.com", "keys", "create", "--source", "bobs"]) == 2
    assert "Only an admin" in capsys.readouterr().err
