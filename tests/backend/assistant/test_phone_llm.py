"""Commands the grammar is unsure of, read by the LLM in a job while the webhook answers at
once: a caller holds for the reading, a texter gets the answer by SMS."""

from __future__ import annotations

from sqlmodel import select

from backend import db
from backend.enums import Channel, JobKind, TaskStatus
from backend.models import Notification, Task
from tasks.dispatch import RUNNER
from tests.support.phone_world import ADA_PHONE, interactions, monitors
from tests.support.twilio_peer import CallReplay

pytest_plugins = ["tests.support.llm_fixtures"]

UNSURE = "hows the head count looking"
READING = {
    "intent": "query",
    "subject": "users.count",
    "confidence": 0.85,
    "text": UNSURE,
}


def _interpret_task() -> Task:
    with db.session_scope() as session:
        return session.exec(select(Task).where(Task.kind == JobKind.COMMAND_INTERPRET)).one()


def test_a_texter_gets_the_llms_reading_answered_by_sms(world, llm_server):
    llm_server.push_json(READING)
    response = world.peer.sms(ADA_PHONE, UNSURE)
    assert "I'll text you the answer in a moment" in response.text
    assert llm_server.requests == [], "the webhook itself never waits for the LLM"
    task = _interpret_task()
    RUNNER.run_here(task.id, None)
    assert _interpret_task().status == TaskStatus.SUCCEEDED
    with db.session_scope() as session:
        sent = session.exec(select(Notification)).one()
    assert (sent.channel, sent.target, sent.body) == (Channel.SMS, ADA_PHONE, "There are 2 users.")
    assert [row.step for row in interactions()] == ["message", "interpreted"]


def test_a_caller_holds_while_a_job_reads_their_words(world, llm_server):
    llm_server.push_json(READING)
    call = CallReplay(world.peer, ADA_PHONE)
    call.dial()
    turn = call.say(UNSURE)
    assert call.text() == "One moment." and "wait=" in turn.redirect
    assert "<Pause" in turn.xml and llm_server.requests == []
    turn = call.follow_redirect()  # the job hasn't run: hold on
    assert "<Pause" in turn.xml and turn.redirect
    RUNNER.run_here(_interpret_task().id, None)
    call.follow_redirect()
    assert call.text() == "There are 2 users. Anything else?"


def test_a_reading_that_fails_asks_the_caller_again(world, llm_server):
    for _ in range(5):
        llm_server.push_raw("{not json")
    call = CallReplay(world.peer, ADA_PHONE)
    call.dial()
    call.say(UNSURE)
    RUNNER.run_here(_interpret_task().id, None)
    call.follow_redirect()
    assert "didn't catch that" in call.text() or "couldn't work that out" in call.text()


FED_UP = "enough with the calls about sign ups"


def test_the_llm_knows_the_monitor_intents_and_a_caller_pauses_by_its_reading(world, llm_server):
    world.peer.sms(ADA_PHONE, "call me when a new user signs up")
    (monitor,) = monitors()
    llm_server.push_json(
        {
            "intent": "pause_monitor",
            "target": "sign ups",
            "event": "user.created",
            "channel": "voice",
            "confidence": 0.85,
            "text": FED_UP,
        }
    )
    call = CallReplay(world.peer, ADA_PHONE)
    call.dial()
    call.say(FED_UP)
    assert call.text() == "One moment."
    RUNNER.run_here(_interpret_task().id, None)
    call.follow_redirect()
    assert call.text().startswith(f"Paused monitor {monitor.id} (when a new user signs up")
    assert monitors()[0].active is False
    prompt = llm_server.prompt_text()
    assert "pause_monitor" in prompt and "stop_monitor" in prompt and "negation" in prompt


def test_an_llm_reading_a_negation_as_a_new_monitor_is_refused(world, llm_server):
    said = "never again with that sign up stuff"
    llm_server.push_json(
        {"intent": "monitor", "event": "user.created", "channel": "sms", "confidence": 0.95}
    )
    response = world.peer.sms(ADA_PHONE, said)
    assert "I'll text you the answer in a moment" in response.text
    RUNNER.run_here(_interpret_task().id, None)
    assert len(llm_server.requests) == 1
    assert monitors() == [], "a negated request never makes a monitor"
    with db.session_scope() as session:
        sent = session.exec(select(Notification)).one()
    assert sent.body.startswith("Sorry, I didn't understand that.")
