"""Monitors by text and by call, through the signed webhooks: asking twice makes one
monitor, the same one by another channel asks, and a person lists, pauses, resumes,
silences and deletes their own by number or by what they watch; a negation is never read
as the question or the monitor it negates (issue 21, items 1 and 2)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from sqlmodel import select

from backend import db
from backend.enums import EventName
from backend.models import Event, Monitor
from tests.support.phone_world import ADA_PHONE, BOB_PHONE, interactions, monitors
from tests.support.twilio_peer import CallReplay


def _reply(response) -> str:
    assert response.status_code == 200, response.text
    return " ".join(node.text or "" for node in ET.fromstring(response.text).iter("Message"))


def _texter(world, phone: str = ADA_PHONE):
    return lambda body: _reply(world.peer.sms(phone, body))


def _live() -> list[Monitor]:
    return [m for m in monitors() if m.deleted_at is None]


# --- item 1: asking twice ----------------------------------------------------------------------


def test_asking_twice_by_text_or_in_noisier_words_makes_one_monitor(world):
    text = _texter(world)
    assert text("call me when a new user signs up") == "OK, I'll call you when a new user signs up."
    (first,) = monitors()
    for again in (
        "call me when a new user signs up",
        "um, cal me whenever a new user signs up please",
        "Call me when someone signs up!",
    ):
        assert text(again) == f"You already have that (monitor {first.id}).", again
    assert len(monitors()) == 1


def test_the_same_by_another_channel_asks_to_add_or_switch(world):
    text = _texter(world)
    text("call me when a new user signs up")
    (calls,) = monitors()
    asked = text("text me when a new user signs up")
    assert asked == (
        f"You already have monitor {calls.id} for that by call. Add a text alert too, or "
        "switch it to text? Reply add, switch or no."
    )
    assert len(monitors()) == 1
    assert text("switch it") == f"Switched: monitor {calls.id} (when a new user signs up, by text)."
    assert [(m.id, m.channel) for m in monitors()] == [(calls.id, "sms")]

    text("email me when a new user signs up")
    assert text("no") == f"OK, nothing changed; monitor {calls.id} stays as it was."
    assert len(monitors()) == 1

    text("email me when a new user signs up")
    assert text("yes, add it too") == "OK, I'll also email you when a new user signs up."
    assert sorted(m.channel for m in monitors()) == ["email", "sms"]
    with db.session_scope() as session:
        changed = session.exec(
            select(Event).where(Event.name == EventName.MONITOR_CHANNEL_CHANGED)
        ).one()
    assert changed.payload["channel"] == "sms" and changed.payload["was"] == "voice"


# --- item 2: managing one's monitors ----------------------------------------------------------


def test_stop_calling_me_pauses_and_is_never_read_as_a_question(world):
    text = _texter(world)
    text("call me when a new user signs up")
    (monitor,) = monitors()
    answer = text("stop calling me about new users")
    assert answer == (
        f"Paused monitor {monitor.id} (when a new user signs up, by call). Text resume "
        f"monitor {monitor.id} to turn it back on, or delete monitor {monitor.id} to remove it."
    )
    assert "sign-ups" not in answer.lower() and "Ada Lovelace" not in answer
    assert monitors()[0].active is False
    assert interactions()[-1].command["intent"] == "pause_monitor"
    assert text("resume monitor " + str(monitor.id)).endswith("is on again.")
    assert monitors()[0].active is True


def test_a_negated_request_asks_pause_or_delete_and_PAUSE_answers_it(world):
    text = _texter(world)
    text("text me when a payment fails")
    (monitor,) = monitors()
    asked = text("don't text me about payments any more")
    assert asked == (
        f"Pause or delete monitor {monitor.id} (when a payment fails, by text)? Reply pause, "
        "delete, or no to keep it."
    )
    assert len(monitors()) == 1, "a negated request never makes a monitor"
    # PAUSE alone is also an answer to an alert; here it answers the question asked.
    assert text("PAUSE").startswith(f"Paused monitor {monitor.id} (when a payment fails")
    assert monitors()[0].active is False
    assert text("resume the payment alert") == (
        f"Monitor {monitor.id} (when a payment fails, by text) is on again."
    )


def test_delete_asks_first_and_no_keeps_it(world):
    text = _texter(world)
    text("text me when a payment fails")
    (monitor,) = monitors()
    asked = text(f"delete monitor {monitor.id}")
    assert asked == (
        f"Delete monitor {monitor.id} (when a payment fails, by text)? Reply yes to delete it, "
        "or no to keep it."
    )
    assert text("no") == f"OK, nothing changed; monitor {monitor.id} stays as it was."
    assert _live() != []
    text("get rid of the payment alert")
    assert text("yes") == f"Deleted monitor {monitor.id} (when a payment fails, by text)."
    assert _live() == []
    assert text("pause monitor " + str(monitor.id)).startswith("You have no monitors.")


def test_list_mute_and_which_one_when_the_words_fit_several(world):
    text = _texter(world)
    text("text me when a payment fails")
    text("email me when a payment goes through")
    text("call me when a new user signs up")
    failed, succeeded, users = monitors()
    listed = text("list my monitors")
    assert listed.startswith("Your monitors:\n")
    assert f"number {failed.id}, by text when a payment fails" in listed
    assert f"number {users.id}, by call when a new user signs up" in listed
    asked = text("pause the payment alert")
    assert asked == (
        f"Which one: monitor {failed.id} (when a payment fails, by text), or monitor "
        f"{succeeded.id} (when a payment goes through, by email)? Reply its number."
    )
    assert text(str(succeeded.id)).startswith(f"Paused monitor {succeeded.id}")
    assert [m.active for m in monitors()] == [True, False, True]
    muted = text("mute the new user alert for 2 hours")
    assert muted.startswith(f"Silenced monitor {users.id}") and "for 2 hours" in muted
    assert monitors()[2].silenced_until is not None


def test_one_manages_only_ones_own_monitors(world):
    _texter(world)("text me when a payment fails")
    (adas,) = monitors()
    bob = _texter(world, BOB_PHONE)
    assert bob(f"delete monitor {adas.id}").startswith("You have no monitors.")
    bob("call me when a payment fails")
    assert bob(f"pause monitor {adas.id}").startswith(f"You have no monitor {adas.id}. Yours:")
    assert [m.active for m in monitors()] == [True, True]


# --- by call -----------------------------------------------------------------------------------


def test_a_call_asks_twice_then_stops_and_deletes_by_voice(world):
    call = CallReplay(world.peer, ADA_PHONE)
    call.dial()
    call.say("call me when a new user signs up")
    assert call.text() == "OK, I'll call you when a new user signs up. Anything else?"
    (monitor,) = monitors()
    call = CallReplay(world.peer, ADA_PHONE)  # the next day, the same words
    call.dial()
    call.say("call me when a new user signs up")
    assert call.text() == f"You already have that (monitor {monitor.id}). Anything else?"
    call.say("text me when a new user signs up")
    assert call.text().endswith("switch it to text? Say add, switch or no.")
    call.say("no thanks")
    assert call.text().startswith("OK, nothing changed")
    call.say("stop calling me about new users")
    assert call.text().startswith(f"Paused monitor {monitor.id}")
    call.say(f"delete monitor {monitor.id}")
    assert call.text() == (
        f"Delete monitor {monitor.id} (when a new user signs up, by call, paused)? Say yes to "
        "delete it, or no to keep it."
    )
    call.say("yes")
    assert call.text() == (
        f"Deleted monitor {monitor.id} (when a new user signs up, by call, paused). Anything else?"
    )
    assert _live() == [] and len(monitors()) == 1


def test_a_negated_sentence_by_call_is_never_answered_as_a_question(world):
    call = CallReplay(world.peer, ADA_PHONE)
    call.dial()
    call.say("never call me when a user signs up again")
    assert call.text().startswith("You have no monitors.")
    assert monitors() == [], "a negated request never makes a monitor"
    call.say("don't tell me how many users there are")
    assert "2 users" not in call.text()


def test_an_unverified_caller_id_may_not_change_monitors(world):
    _texter(world)("call me when a new user signs up")
    call = CallReplay(world.peer, ADA_PHONE, extra={"StirVerstat": "TN-Validation-Failed"})
    call.dial()
    call.say("pause the new user alert")
    assert "can only ask questions" in call.text()
    assert monitors()[0].active is True


def test_a_question_about_a_monitor_gives_way_to_a_new_command(world):
    text = _texter(world)
    text("text me when a payment fails")
    (monitor,) = monitors()
    assert text("delete the payment alert").startswith(f"Delete monitor {monitor.id}")
    assert text("how many users are there") == "There are 2 users."
    assert text("yes") != f"Deleted monitor {monitor.id} (when a payment fails, by text)."
    assert _live() != [], "the question was dropped with the new command"


def test_which_one_by_call_is_answered_in_words(world):
    text = _texter(world)
    text("text me when a payment fails")
    text("email me when a payment goes through")
    failed, succeeded = monitors()
    call = CallReplay(world.peer, ADA_PHONE)
    call.dial()
    call.say("um don't bother me about payments anymore")
    assert call.text().startswith(f"Which one: monitor {failed.id} (when a payment fails")
    assert call.text().endswith("Say its number.")
    call.say("the one that goes through")
    assert call.text() == (
        f"Pause or delete monitor {succeeded.id} (when a payment goes through, by email)? "
        "Say pause, delete, or no to keep it."
    )
    call.say("delete it")
    assert call.text() == (
        f"Deleted monitor {succeeded.id} (when a payment goes through, by email). Anything else?"
    )
    assert [m.id for m in _live()] == [failed.id]
