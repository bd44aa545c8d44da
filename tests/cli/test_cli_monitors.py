"""`monitors` and `notifications` on the command line: add by sentence and by fields, list,
show with history, pause, resume, silence, delete; notifications filtered; bad input exits
2 with one line and writes nothing."""

from __future__ import annotations

import json

import pytest
from sqlmodel import func, select

import cli.main as cli
from backend import db
from backend.models import Monitor, MonitorFiring, Notification


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        status = cli.main(list(args))
    except SystemExit as exit_:  # argparse's usage errors
        status = exit_.code
    out, err = capsys.readouterr()
    return status, out, err


def ok_json(capsys, *args: str):
    status, out, err = run(capsys, *args, "--json")
    assert status == 0, err
    return json.loads(out)


@pytest.fixture
def ada(sqlite_db, capsys) -> str:
    status, _, err = run(
        capsys, "users", "add", "--name", "Ada", "--email", "ada@example.com", "--channel", "voice"
    )
    assert status == 0, err
    return "ada@example.com"


def test_add_by_sentence_and_by_fields_then_list_and_show(ada, capsys):
    status, out, _ = run(
        capsys, "monitors", "add", "--user", ada, "--text", "call me when a new user signs up"
    )
    assert status == 0
    assert out.strip() == "monitor 1: OK, I'll call you when a new user signs up."

    by_fields = ok_json(
        capsys,
        "monitors",
        "add",
        "--user",
        ada,
        "--event",
        "user.created",
        "--filter",
        "is_admin==true",
        "--filter",
        "email endswith @example.com",
        "--channel",
        "sms",
        "--group-seconds",
        "0",
    )
    assert by_fields["condition"]["filters"] == [
        {"field": "is_admin", "op": "==", "value": True},
        {"field": "email", "op": "endswith", "value": "@example.com"},
    ]
    assert (by_fields["channel"], by_fields["group_seconds"], by_fields["state"]) == (
        "sms",
        0,
        "armed",
    )

    metric = ok_json(
        capsys,
        "monitors",
        "add",
        "--user",
        ada,
        "--metric",
        "users.count",
        "--op",
        ">",
        "--value",
        "1000",
        "--window",
        "60",
    )
    assert metric["event"] == "user.created" and metric["channel"] == "voice"  # preferred
    assert metric["condition"] == {
        "kind": "metric",
        "metric": "users.count",
        "op": ">",
        "value": 1000.0,
        "window_minutes": 60,
    }

    listed = ok_json(capsys, "monitors", "list", "--user", ada)
    assert [m["id"] for m in listed] == [1, 2, 3]
    status, out, _ = run(capsys, "monitors", "list")
    assert out.splitlines()[0].split()[:3] == ["ID", "OWNER", "STATE"]

    with db.session_scope() as session:
        firing = MonitorFiring(monitor_id=2, count=2, summary="2 new users")
        session.add(firing)
        session.flush()
        session.add(
            Notification(
                monitor_id=2,
                firing_id=firing.id,
                channel="sms",
                target="+15551230001",
                status="failed",
                attempts=3,
                error="unreachable",
            )
        )
    shown = ok_json(capsys, "monitors", "show", "2")
    assert shown["check"]["slug"] == "monitor-2" and "def " in shown["code"]
    assert shown["history"][0]["summary"] == "2 new users"
    assert shown["history"][0]["notifications"][0]["error"] == "unreachable"
    status, out, _ = run(capsys, "monitors", "show", "2")
    assert "check: monitor-2 v1" in out
    assert "sms to +15551230001: failed, 3 attempts (unreachable)" in out


def test_adding_the_same_monitor_twice_names_the_one_there(ada, capsys):
    sentence = ("--text", "call me when a new user signs up")
    assert run(capsys, "monitors", "add", "--user", ada, *sentence)[0] == 0
    status, out, err = run(capsys, "monitors", "add", "--user", ada, *sentence)
    assert (status, out, err.strip()) == (2, "", "error: You already have that (monitor 1)")
    by_fields = ("--event", "user.created", "--channel", "voice")
    status, _, err = run(capsys, "monitors", "add", "--user", ada, *by_fields)
    assert (status, err.strip()) == (2, "error: You already have that (monitor 1)")
    status, _, err = run(capsys, "monitors", "add", "--user", ada, *sentence, "--channel", "sms")
    assert (status, err.strip()) == (
        2,
        "error: You already have monitor 1 for that by call; --also adds this one by sms too",
    )
    added = ok_json(
        capsys, "monitors", "add", "--user", ada, *sentence, "--channel", "sms", "--also"
    )
    assert added["id"] == 2 and added["channel"] == "sms"
    assert [m["channel"] for m in ok_json(capsys, "monitors", "list")] == ["voice", "sms"]


def test_pause_resume_silence_delete(ada, capsys):
    assert run(capsys, "monitors", "add", "--user", ada, "--event", "payment.failed")[0] == 0
    assert ok_json(capsys, "monitors", "pause", "1")["state"] == "paused"
    assert ok_json(capsys, "monitors", "resume", "1")["state"] == "armed"
    silenced = ok_json(capsys, "monitors", "silence", "1", "--minutes", "30")
    assert silenced["state"] == "silenced" and silenced["silenced_until"]
    status, out, _ = run(capsys, "monitors", "delete", "1")
    assert (status, out.strip()) == (0, "monitor 1 deleted (its history is kept)")
    assert ok_json(capsys, "monitors", "list") == []
    with db.session_scope() as session:
        assert session.get(Monitor, 1).deleted_at is not None  # kept, with its history
    status, _, err = run(capsys, "monitors", "show", "1")
    assert (status, err.strip()) == (2, "error: no monitor 1")


def test_notifications_list_filters_by_status_and_channel(sqlite_db, capsys):
    with db.session_scope() as session:
        session.add(Notification(channel="sms", target="+15551230001", status="delivered"))
        session.add(Notification(channel="voice", target="+15551230002", status="failed"))
        session.add(Notification(channel="email", target="a@example.com", status="failed"))
    assert [n["target"] for n in ok_json(capsys, "notifications", "list")] == [
        "a@example.com",
        "+15551230002",
        "+15551230001",
    ]
    failed = ok_json(capsys, "notifications", "list", "--status", "failed", "--channel", "voice")
    assert [(n["channel"], n["status"]) for n in failed] == [("voice", "failed")]
    assert len(ok_json(capsys, "notifications", "list", "--limit", "1")) == 1
    status, out, _ = run(capsys, "notifications", "list", "--status", "delivered")
    assert status == 0 and "+15551230001" in out and "a@example.com" not in out


def test_a_member_lists_only_their_own_notifications(ada, capsys):
    status, _, err = run(capsys, "users", "add", "--name", "Bob", "--email", "bob@example.com")
    assert status == 0, err
    with db.session_scope() as session:
        session.add(Notification(channel="sms", target="+15551230001", user_id=1))
        session.add(Notification(channel="sms", target="+15551230002", user_id=2))
    mine = ok_json(capsys, "--as", "bob@example.com", "notifications", "list")
    assert [n["target"] for n in mine] == ["+15551230002"]
    assert len(ok_json(capsys, "notifications", "list")) == 2  # the operator: everybody's


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["monitors", "add", "--user", "ada@example.com", "--text", "what time is it"], "told"),
        (["monitors", "add", "--user", "nobody@example.com", "--event", "user.created"], "no user"),
        (["monitors", "add", "--user", "ada@example.com"], "give an event"),
        (["monitors", "add", "--user", "ada@example.com", "--event", "nope"], "invalid choice"),
        (
            [
                "monitors",
                "add",
                "--user",
                "ada@example.com",
                "--event",
                "user.created",
                "--filter",
                "x",
            ],
            "FIELD OP VALUE",
        ),
        (
            [
                "monitors",
                "add",
                "--user",
                "ada@example.com",
                "--text",
                "call me",
                "--event",
                "user.created",
            ],
            "not both",
        ),
        (["monitors", "add", "--user", "ada@example.com", "--metric", "users.count"], "operator"),
        (["monitors", "silence", "1", "--minutes", "0"], "more than 0 minutes"),
        (["monitors", "pause", "99"], "no monitor 99"),
        (["monitors", "pause", "one"], "invalid int value"),
        (["notifications", "list", "--status", "lost"], "invalid choice"),
        (["notifications", "list", "--limit", "0"], "at least 1"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(ada, capsys, args, message):
    assert run(capsys, "monitors", "add", "--user", ada, "--event", "user.created")[0] == 0
    with db.session_scope() as session:
        before = session.exec(select(func.count()).select_from(Monitor)).one()
    status, out, err = run(capsys, *args)
    assert status == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: ") and message in err
    with db.session_scope() as session:
        assert session.exec(select(func.count()).select_from(Monitor)).one() == before
