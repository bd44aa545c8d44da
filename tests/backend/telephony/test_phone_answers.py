"""What a person hears by phone and text, through the signed webhooks (issue 21): no setting
names read aloud without an LLM (and a starter object instead), the per-number limit that
counts only what the person starts, refusals said to them, which alert ACK answered, what a
caller said when it wasn't understood twice, the status of a deploy, and a monitor that
answers the way it was asked for."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from sqlmodel import select

from backend import config, db
from backend.accounts import users
from backend.assistant.processor import NO_LLM, STARTER_MAIN
from backend.enums import Channel, JobKind
from backend.models import DurableObject, Task, User
from backend.monitoring import dispatcher, monitors
from backend.objects import store
from tasks.dispatch import RUNNER
from tests.support.llm_server import closed_port
from tests.support.phone_world import (
    ADA_PHONE,
    ADA_PIN,
    BOB_PHONE,
    OPERATOR,
    interactions,
)
from tests.support.phone_world import monitors as all_monitors
from tests.support.twilio_peer import CallReplay

pytest_plugins = ["tests.support.llm_fixtures"]

SETTING_NAMES = ("OPENAI_BASE_URL", "OPENAI_API_KEY", "Ollama", "vLLM")


def _reply(response) -> str:
    assert response.status_code == 200, response.text
    return " ".join(node.text or "" for node in ET.fromstring(response.text).iter("Message"))


def _text(world, body: str, phone: str = ADA_PHONE) -> str:
    return _reply(world.peer.sms(phone, body))


def _with_an_llm(monkeypatch) -> None:
    """An LLM configured (never asked: these commands are read by the grammar alone)."""
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{closed_port()}/v1")
    config.reload_settings()


def _watch_signups(owner_id: int, channel: str = "sms") -> int:
    with db.session_scope() as session:
        return monitors.create_monitor_in(
            session,
            owner_id=owner_id,
            event="user.created",
            condition=monitors.event_condition([]),
            channel=channel,
            description="test",
            actor=OPERATOR,
            group_seconds=0,
        ).id


# --- item 3: no LLM ----------------------------------------------------------------------------


def test_without_an_llm_a_caller_hears_no_setting_names(world, no_llm):
    call = CallReplay(world.peer, ADA_PHONE)
    call.dial()
    call.say("update the calculator to round to two places")
    assert call.text() == f"{NO_LLM} Anything else?"
    call.say("create a weather station that shows the forecast")
    assert call.text().startswith(NO_LLM)
    assert "as an empty starter object" in call.text()
    spoken = " ".join(" ".join(turn.said) for turn in call.turns)
    assert not any(name in spoken for name in SETTING_NAMES)


def test_without_an_llm_create_makes_an_empty_starter_object_and_says_so(world, no_llm):
    asked = _text(world, "create object Abacus")
    assert asked.startswith(
        f"{NO_LLM} I can create Abacus as an empty starter object. Reply YES and your PIN"
    )
    done = _text(world, f"YES {ADA_PIN}")
    assert done.startswith("Created Abacus as an empty starter object.")
    assert not any(name in asked + done for name in SETTING_NAMES)
    with db.session_scope() as session:
        made = session.exec(select(DurableObject).where(DurableObject.slug == "abacus")).one()
        assert (made.name, made.description, made.owner_id) == ("Abacus", "", world.ada_id)
        assert store.get_version(session, "abacus").files == {"main.py": STARTER_MAIN}
        assert session.exec(select(Task).where(Task.kind == JobKind.MODIFICATION_RUN)).all() == []
    # A second object of a name already taken would make "which one?" unanswerable.
    assert _text(world, "create object calculator") == (
        "There is already an object called Calculator. To change it, say update Calculator "
        "and what it should do; or give the new one another name."
    )


def test_without_an_llm_a_modify_says_so_before_looking_for_the_object(world, no_llm):
    assert _text(world, "update the zorblatt to round to two places") == NO_LLM


def test_an_unknown_object_is_not_suggested_from_the_monitors_checks(world, monkeypatch):
    _with_an_llm(monkeypatch)
    _watch_signups(world.ada_id)
    answer = _text(world, "update the zorblatt to round to two places")
    assert answer.startswith("I couldn't find an object called zorblatt. There are ")
    assert "Monitor" not in answer
    assert "Monitor" not in _text(world, "what objects are there")


# --- item 5: the per-number limit --------------------------------------------------------------


def test_a_long_call_with_status_callbacks_is_never_cut_off_by_the_limit(world, monkeypatch):
    monkeypatch.setenv("PHONE_RATE_LIMIT_PER_MINUTE", "3")
    config.reload_settings()
    call = CallReplay(world.peer, ADA_PHONE)
    call.dial()
    for state in ("ringing", "in-progress", "in-progress"):
        status = world.peer.post("/webhooks/voice/status", call._params(CallStatus=state))
        assert status.status_code == 204
    for _ in range(6):  # a long call: far more turns than the limit
        call.say("how many users are there")
        assert call.text() == "There are 2 users. Anything else?"
    call.say("deploy the calculator")
    call.press(ADA_PIN)
    assert call.text() == "Press 1 to deploy Calculator version 1, or 2 to cancel."
    # The call counted once: a text and a second call still get through; then the limit.
    assert _text(world, "how many users") == "There are 2 users."
    second = CallReplay(world.peer, ADA_PHONE)
    second.dial()
    assert second.text() == "Hello Ada. What would you like to do?"
    assert _text(world, "how many users").startswith("You've sent a lot of requests")
    assert "rate_limited" not in [row.outcome for row in interactions() if row.step != "message"]


# --- item 6: small things ------------------------------------------------------------------------


def test_a_members_refusal_is_said_to_them(world):
    call = CallReplay(world.peer, BOB_PHONE)
    call.dial()
    call.say("deploy the calculator")
    assert call.text() == "Only an admin can deploy objects (you are a member). Anything else?"
    assert "bob@example.com" not in _text(world, "deploy the calculator", BOB_PHONE)


def test_a_sign_up_monitor_on_admins_is_read_back_in_plain_words(world):
    assert _text(world, "text me when a new admin signs up") == (
        "OK, I'll text you when an admin signs up."
    )
    assert "where is admin" not in _text(world, "what are my monitors")


def test_the_status_of_my_request_includes_a_deploy(world):
    _text(world, "deploy the calculator")
    assert _text(world, f"YES {ADA_PIN}").startswith("Deploying Calculator now.")
    assert _text(world, "what's the status of my request") == (
        "Your deploy of Calculator version 1 is waiting to start."
    )
    with db.session_scope() as session:
        task_id = session.exec(select(Task.id).where(Task.kind == JobKind.OBJECT_DEPLOY)).one()
    RUNNER.run_here(task_id, None)
    assert _text(world, "what's the status of my request") == (
        "Your deploy of Calculator version 1 is live."
    )


def test_ack_says_which_alert_it_acknowledged(world):
    monitor_id = _watch_signups(world.ada_id)
    with db.session_scope() as session:
        users.add_user_in(session, name="Zed", email="zed@example.com", actor=OPERATOR)
    dispatcher.run_once()
    assert _text(world, "ACK") == (
        f"Acknowledged monitor {monitor_id}'s alert: New user signed up: Zed (zed@example.com), "
        "not as an admin."
    )


def test_not_understood_twice_says_what_was_heard_and_gives_an_example(world):
    call = CallReplay(world.peer, ADA_PHONE)
    call.dial()
    call.say("blorp fizzle")
    assert call.text() == "Sorry, I didn't catch that. Please say it again."
    call.say("flibber jabber")
    assert call.text() == (
        'Sorry, I didn\'t catch that: I heard "flibber jabber". For example, say: how many '
        "users are there, or call me when a new user signs up."
    )
    assert call.last.gather["input"] == "speech", "still listening, not yet the keypad"


def test_a_metric_monitor_asked_by_text_answers_by_text(world):
    with db.session_scope() as session:
        ada = session.get(User, world.ada_id)
        ada.preferred_channel = Channel.EMAIL
        session.add(ada)
    answer = _text(world, "let me know when the database has more than 1000 users")
    assert answer == "OK, I'll text you when the number of users is more than 1,000."
    assert [(m.channel, m.condition["kind"]) for m in all_monitors()] == [("sms", "metric")]
    call = CallReplay(world.peer, ADA_PHONE)
    call.dial()
    call.say("let me know when there are more than 2000 users")
    assert call.text().startswith("OK, I'll call you when the number of users is more than")
