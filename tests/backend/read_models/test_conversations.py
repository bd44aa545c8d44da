"""The Calls and messages page's conversations: a call's turns together by CallSid, texts
in threads, each in order; a member sees their own, an admin everybody's."""

from __future__ import annotations

from datetime import timedelta

from backend import db
from backend.access.audit import SYSTEM, Actor
from backend.accounts import users
from backend.enums import Channel
from backend.models import Interaction, utcnow
from backend.read_models.interactions import read_conversations, read_interactions

ADA, BOB, STRANGER = "+15551230001", "+15551230002", "+15559990000"


def _turn(at, channel: str, phone: str, user_id: int | None, said: str, **fields) -> None:
    with db.session_scope() as session:
        session.add(
            Interaction(
                channel=channel,
                phone=phone,
                user_id=user_id,
                transcript=said,
                created_at=at,
                **fields,
            )
        )


def test_calls_by_callsid_and_text_threads_newest_first_each_in_order(sqlite_db):
    with db.session_scope() as session:
        ada = users.add_user_in(session, name="Ada", email="ada@example.com", is_admin=True)
        bob = users.add_user_in(session, name="Bob", email="bob@example.com")
    start = utcnow() - timedelta(hours=3)
    at = lambda minutes: start + timedelta(minutes=minutes)  # noqa: E731
    _turn(at(0), "sms", BOB, bob.id, "how many users?", reply="There are 2 users.")
    _turn(at(1), "voice", ADA, ada.id, "", provider_sid="CA1", outcome="greeted")
    _turn(at(2), "sms", BOB, bob.id, "and payments?", reply="No payments yet.")
    _turn(at(3), "voice", ADA, ada.id, "deploy calc", provider_sid="CA1", confidence=0.9,
          command={"intent": "deploy"}, reply="Say your PIN.", outcome="asked_pin")  # fmt: skip
    _turn(at(4), "voice", ADA, ada.id, "1234", provider_sid="CA1", outcome="deployed")
    _turn(at(90), "sms", BOB, bob.id, "hello again", reply="Hi Bob.")  # a new thread
    _turn(at(91), "sms", STRANGER, None, "who is this", reply="Sorry.")

    admin = Actor.for_user(ada, Channel.WEB)
    page = read_conversations(admin)
    cards = [(c.channel, c.person, [t.transcript for t in c.turns]) for c in page.conversations]
    assert cards == [
        ("sms", "", ["who is this"]),
        ("sms", "Bob", ["hello again"]),
        ("voice", "Ada", ["", "deploy calc", "1234"]),
        ("sms", "Bob", ["how many users?", "and payments?"]),
    ]
    call = page.conversations[2]
    assert (call.sid, call.outcome, call.key) == ("CA1", "deployed", "call-CA1")
    assert [(t.intent, t.confidence, t.reply) for t in call.turns][1] == (
        "deploy",
        "0.90",
        "Say your PIN.",
    )
    assert [p.name for p in page.people] == ["Ada", "Bob"]

    # Filters: a channel, a person, nobody's numbers.
    assert {c.channel for c in read_conversations(admin, channel="voice").conversations} == {
        "voice"
    }
    assert {c.person for c in read_conversations(admin, person_id=bob.id).conversations} == {"Bob"}
    assert [c.phone for c in read_conversations(admin, person_id=0).conversations] == [STRANGER]

    # A member: their own only, whatever they ask for, and no people to pick.
    member = Actor.for_user(bob, Channel.WEB)
    mine = read_conversations(member, person_id=ada.id)
    assert {c.person for c in mine.conversations} == {"Bob"} and mine.people == []
    assert {r.phone for r in read_interactions(member)} == {BOB}
    assert len(read_interactions(SYSTEM)) == 7
    assert read_conversations(Actor(name="anonymous", channel=Channel.WEB)).conversations == []
