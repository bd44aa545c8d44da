"""The SMS door: a conversation with a question back and a confirmation by PIN, keywords,
unknown senders, retries, the per-number limit, refusals and approval by reply."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

from sqlmodel import select

from backend import config, db
from backend.accounts import users
from backend.enums import Channel, JobKind, ModificationStatus
from backend.models import Interaction, Modification, Notification, Task, User
from tests.support.factories import offer_for_approval, waiting_modification
from tests.support.phone_world import (
    ADA_PHONE,
    ADA_PIN,
    BOB_PHONE,
    STRANGER,
    interactions,
    monitors,
)


def _reply(response) -> str:
    assert response.status_code == 200, response.text
    messages = [node.text or "" for node in ET.fromstring(response.text).iter("Message")]
    return " ".join(messages)


def test_a_conversation_with_a_question_back_and_a_confirmation_by_pin(world):
    text = lambda body: _reply(world.peer.sms(ADA_PHONE, body))  # noqa: E731
    assert text("deploy weather please") == "Did you mean Weather API or Weather widget?"
    asked = text("the widget one")
    assert asked.startswith("You asked me to deploy Weather widget version 1.")
    assert "Reply YES and your PIN" in asked
    assert (
        text("YES")
        == "Please add your PIN, for example YES 1234, to deploy Weather widget version 1."
    )
    assert text("yes 0000") == "That PIN isn't right. Reply YES and your PIN to go ahead."
    assert text(f"Yes {ADA_PIN}").startswith("Deploying Weather widget now.")
    with db.session_scope() as session:
        task = session.exec(select(Task).where(Task.kind == JobKind.OBJECT_DEPLOY)).one()
        assert task.params["slug"] == "weather-widget" and task.params["by"]["channel"] == "sms"
    outcomes = [row.outcome for row in interactions()]
    assert outcomes == ["asked", "confirm", "confirm", "refused", "started"]


def test_no_cancels_and_a_new_command_drops_the_question(world):
    text = lambda body: _reply(world.peer.sms(ADA_PHONE, body))  # noqa: E731
    text("deploy the calculator")
    assert text("no") == "Cancelled; nothing was changed."
    text("deploy the calculator")
    assert text("how many users are there") == "There are 2 users."
    assert text(f"YES {ADA_PIN}") != ""  # nothing waits now: read as a (bare) command
    with db.session_scope() as session:
        assert session.exec(select(Task)).all() == []


def test_questions_and_monitors_answer_at_once(world):
    answer = _reply(world.peer.sms(ADA_PHONE, "email me if any payment fails"))
    assert answer == "OK, I'll email you when a payment fails."
    assert [(m.event_name, m.channel) for m in monitors()] == [("payment.failed", "email")]
    latest = _reply(world.peer.sms(ADA_PHONE, "show me the latest user registrations"))
    assert latest.startswith("Latest sign-ups:") and "Ada Lovelace <ada@example.com>" in latest


def test_stop_and_start_are_keywords_never_commands(world):
    for body, opted_out in (("STOP", True), ("start", False), ("Unsubscribe", True)):
        response = world.peer.sms(BOB_PHONE, body)
        assert response.status_code == 200 and "<Message>" not in response.text
        with db.session_scope() as session:
            assert users.get_user_by_email(session, "bob@example.com").sms_opted_out is opted_out
    assert all(row.command is None for row in interactions())
    assert [row.outcome for row in interactions()] == ["opted_out", "opted_in", "opted_out"]


def test_an_unknown_sender_is_refused_politely(world):
    assert "don't recognise this number" in _reply(world.peer.sms(STRANGER, "deploy calculator"))
    assert interactions()[0].outcome == "unknown_caller" and interactions()[0].user_id is None


def test_a_retried_message_answers_the_same_and_acts_once(world):
    first = world.peer.sms(
        ADA_PHONE, "text me when a new admin user is created", sid="SM" + "5" * 32
    )
    again = world.peer.sms(
        ADA_PHONE, "text me when a new admin user is created", sid="SM" + "5" * 32
    )
    assert first.text == again.text
    assert len(monitors()) == 1 and len(interactions()) == 1
    assert monitors()[0].condition["filters"] == [{"field": "is_admin", "op": "==", "value": True}]


def test_the_per_number_limit_answers_politely(world, monkeypatch):
    monkeypatch.setenv("PHONE_RATE_LIMIT_PER_MINUTE", "2")
    config.reload_settings()
    answers = [_reply(world.peer.sms(ADA_PHONE, "how many users")) for _ in range(3)]
    assert answers[:2] == ["There are 2 users."] * 2
    assert answers[2].startswith("You've sent a lot of requests")
    with db.session_scope() as session:  # a minute later: the turned-away ones don't count
        for row in session.exec(select(Interaction).where(Interaction.outcome == "answered")):
            row.created_at -= timedelta(minutes=2)
            session.add(row)
    assert _reply(world.peer.sms(ADA_PHONE, "how many users")) == "There are 2 users."


def test_a_member_is_refused_a_deploy_by_sms_as_on_the_web(world):
    answer = _reply(world.peer.sms(BOB_PHONE, "deploy the calculator"))
    assert answer == "Only an admin can deploy objects (you are a member)."


def test_a_change_waiting_for_approval_is_decided_by_reply(world):
    with db.session_scope() as session:
        ids = []
        for body in ("return b + a", "return a + b + 0"):
            modification = waiting_modification(
                session,
                "calculator",
                {"main.py": f"def add(a, b):\n    {body}\n"},
                requested_by_id=world.ada_id,
            )
            modification.channel = Channel.SMS
            session.add(modification)
            ids.append(modification.id)
        ada = session.get(User, world.ada_id)
        ada.preferred_channel = Channel.SMS
        session.add(ada)
    offer_for_approval(ids[0])
    with db.session_scope() as session:
        told = session.exec(select(Notification)).one()
    assert told.channel == Channel.SMS and "Reply YES and your PIN to approve" in told.body
    answer = _reply(world.peer.sms(ADA_PHONE, f"yes {ADA_PIN}"))
    assert answer.startswith("Approved. Calculator is now at version 2")
    offer_for_approval(ids[1])
    answer = _reply(world.peer.sms(ADA_PHONE, "no, the old one was clearer"))
    assert answer == f"Rejected change number {ids[1]}."
    with db.session_scope() as session:
        first, second = (session.get(Modification, i) for i in ids)
        assert first.status == ModificationStatus.APPLIED
        assert second.status == ModificationStatus.REJECTED
        assert second.rejection_reason == "the old one was clearer"


def test_a_change_without_a_pin_is_refused_before_asking_for_it(world):
    with db.session_scope() as session:
        ada = session.get(User, world.ada_id)
        ada.pin_hash = None
        session.add(ada)
    answer = _reply(world.peer.sms(ADA_PHONE, "deploy the calculator"))
    assert answer.startswith("To deploy Calculator version 1 I need your PIN. You have no PIN yet.")
