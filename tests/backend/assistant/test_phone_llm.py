"""Commands the grammar is unsure of, read by the LLM in a job while the webhook answers at
once: a caller holds for the reading, a texter gets the answer by SMS."""

from __future__ import annotations

from sqlmodel import select

from backend import db
from backend.enums import Channel, JobKind, TaskStatus
from backend.models import Notification, Task
from tasks.dispatch import RUNNER
from tests.support.phone_world import ADA_PHONE, interactions
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
