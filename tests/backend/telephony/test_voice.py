"""The voice door: Twilio's signed webhooks, a whole call replayed turn by turn, PINs,
confirmations, refusals, retries and the result call of a change awaiting approval."""

from __future__ import annotations

from sqlmodel import select
from twilio.request_validator import RequestValidator

from backend import config, db
from backend.accounts import users
from backend.background import jobs
from backend.channels import outbox
from backend.enums import (
    Channel,
    JobKind,
    ModificationStatus,
    NotificationPurpose,
    NotificationStatus,
    TaskStatus,
)
from backend.models import Modification, Notification, Task, User
from tasks.dispatch import RUNNER
from tests.support.factories import offer_for_approval, waiting_modification
from tests.support.phone_world import (
    ADA_PHONE,
    ADA_PIN,
    BOB_PHONE,
    STRANGER,
    interactions,
    monitors,
)
from tests.support.twilio_peer import CallReplay, path_of, sign


def _call_params(caller: str = ADA_PHONE) -> dict[str, str]:
    return {
        "CallSid": "CA" + "1" * 32,
        "From": caller,
        "To": "+15550009999",
        "Direction": "inbound",
    }


# --- signatures -------------------------------------------------------------------------------


def test_a_signed_call_is_answered(world):
    answer = world.peer.post("/webhooks/voice", _call_params())
    assert answer.status_code == 200 and "<Gather" in answer.text


def test_forged_unsigned_and_wrongly_addressed_requests_are_refused_and_change_nothing(world):
    params = _call_params()
    url = "https://dobj.example.test/webhooks/voice"
    cases = {
        "forged": world.peer.post("/webhooks/voice", params, signature=sign(url, params, "nope")),
        "unsigned": world.peer.post("/webhooks/voice", params, signature=""),
        "wrong URL": world.peer.post(
            "/webhooks/voice", params, signed_url="http://testserver/webhooks/voice"
        ),
        "tampered": world.peer.post(
            "/webhooks/voice", params, signature=sign(url, {**params, "From": BOB_PHONE})
        ),
    }
    assert {name: r.status_code for name, r in cases.items()} == dict.fromkeys(cases, 403)
    assert interactions() == []


def test_without_twilio_configured_every_request_is_refused(world, monkeypatch):
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    config.reload_settings()
    assert world.peer.post("/webhooks/voice", _call_params()).status_code == 403
    assert interactions() == []


def test_the_signature_covers_repeated_parameters(world):
    form = {"CallSid": "CA" + "2" * 32, "From": ADA_PHONE, "Extra": ["a", "b"]}

    class Multi(dict):
        def getall(self, key):
            value = form[key]
            return value if isinstance(value, list) else [value]

    url = "https://dobj.example.test/webhooks/voice"
    good = RequestValidator("test-auth-token-0123456789abcdef").compute_signature(url, Multi(form))
    client = world.peer.client
    assert client.post("/webhooks/voice", data=form, headers={"X-Twilio-Signature": good})
    answered = client.post("/webhooks/voice", data=form, headers={"X-Twilio-Signature": good})
    assert answered.status_code == 200
    dropped = client.post(
        "/webhooks/voice", data={**form, "Extra": "a"}, headers={"X-Twilio-Signature": good}
    )
    assert dropped.status_code == 403


# --- callers ----------------------------------------------------------------------------------


def test_unknown_withheld_and_unverified_callers_hear_a_polite_refusal(world):
    with db.session_scope() as session:
        bob = users.get_user_by_email(session, "bob@example.com")
        bob.phone_verified = False
        session.add(bob)
    for caller in (STRANGER, "anonymous", "", BOB_PHONE):
        call = CallReplay(world.peer, caller)
        turn = call.dial()
        assert "don't recognise this number" in call.text()
        assert turn.hangup and turn.gather is None
    assert {row.outcome for row in interactions()} == {"unknown_caller"}


def test_a_known_caller_is_greeted_by_name_and_asked_with_a_speech_gather(world):
    call = CallReplay(world.peer, ADA_PHONE)
    turn = call.dial()
    assert call.text() == "Hello Ada. What would you like to do?"
    gather = turn.gather
    assert gather["input"] == "speech" and gather["actionOnEmptyResult"] == "true"
    assert gather["action"] == "https://dobj.example.test/webhooks/voice/command"
    assert "Weather widget" in gather["hints"] and "deploy" in gather["hints"]
    assert turn.redirect, "a fallback verb follows the Gather"


def test_a_question_is_answered_at_once_then_silence_ends_the_call(world):
    call = CallReplay(world.peer, ADA_PHONE)
    call.dial()
    call.say("um how many users are in the database")
    assert call.text() == "There are 2 users. Anything else?"
    turn = call.say("")
    assert call.text() == "Goodbye." and turn.hangup
    row = next(r for r in interactions() if r.step == "command")
    assert row.transcript == "um how many users are in the database"
    assert row.command["intent"] == "query" and row.confidence == 0.93
    assert row.outcome == "answered" and row.user_id == world.ada_id


def test_silence_and_mumbling_are_asked_again_twice_then_the_keypad_menu(world):
    call = CallReplay(world.peer, ADA_PHONE)
    call.dial()
    call.say("")
    assert "didn't hear anything" in call.text()
    call.say("blorp fizzle")
    assert "didn't catch that" in call.text()
    turn = call.say("")
    assert "press 1 for system status" in call.text()
    assert turn.gather["input"] == "dtmf" and turn.gather["numDigits"] == "1"
    call.press("1")
    assert "objects live" in call.text()


def test_a_whole_call_deploys_with_pin_and_confirmation_then_the_result_goes_out(world):
    call = CallReplay(world.peer, ADA_PHONE)
    call.dial()
    turn = call.say("please deploy the calculater")
    assert call.text().startswith("You asked me to deploy Calculator version 1.")
    assert turn.gather["input"] == "dtmf" and turn.gather["finishOnKey"] == "#"
    call.press("9999")
    assert "isn't right" in call.text()
    turn = call.press(ADA_PIN)
    assert call.text() == "Press 1 to deploy Calculator version 1, or 2 to cancel."
    call.press("1")
    assert call.text().startswith("Deploying Calculator now.")
    with db.session_scope() as session:
        task = session.exec(select(Task).where(Task.kind == JobKind.OBJECT_DEPLOY)).one()
        assert task.params["by"]["channel"] == "voice"
        task_id = task.id
    RUNNER.run_here(task_id, None)
    with db.session_scope() as session:
        assert jobs.get_task(session, task_id).status == TaskStatus.SUCCEEDED
        told = session.exec(select(Notification)).one()
        assert (told.channel, told.target) == (Channel.VOICE, ADA_PHONE)  # asked by voice
        assert told.body == "Calculator version 1 is live."
    steps = [(row.step, row.outcome) for row in interactions()]
    assert steps == [
        ("greet", "greeted"),
        ("command", "confirm"),
        ("pin", "wrong_pin"),
        ("pin", "pin_ok"),
        ("confirm", "started"),
    ]


def test_cancelling_with_2_changes_nothing(world):
    call = CallReplay(world.peer, ADA_PHONE)
    call.dial()
    call.say("deploy the calculator")
    call.press(ADA_PIN)
    call.press("2")
    assert call.text().startswith("Cancelled; nothing was changed.")
    with db.session_scope() as session:
        assert session.exec(select(Task)).all() == []


def test_a_member_asking_to_deploy_hears_the_refusal_the_web_app_shows(world):
    call = CallReplay(world.peer, BOB_PHONE)
    call.dial()
    call.say("deploy the calculator")
    assert call.text().startswith(
        "Only an admin can deploy objects (you are a member). Anything else?"
    )


def test_a_caller_whose_number_failed_verification_may_only_ask_questions(world):
    call = CallReplay(world.peer, ADA_PHONE, extra={"StirVerstat": "TN-Validation-Failed"})
    call.dial()
    call.say("deploy the calculator")
    assert "can only ask questions" in call.text()
    call.extra.clear()  # later turns don't carry it: the call's URLs remember
    call.say("deploy the calculator")
    assert "can only ask questions" in call.text()
    call.say("how many users are there")
    assert call.text().startswith("There are 2 users.")


def test_which_one_is_asked_when_the_words_fit_several_objects(world):
    call = CallReplay(world.peer, ADA_PHONE)
    call.dial()
    call.say("deploy weather")
    assert call.text() == "Did you mean Weather API or Weather widget?"
    call.say("the widget")
    assert call.text().startswith("You asked me to deploy Weather widget version 1.")


def test_a_retried_webhook_answers_the_same_and_acts_once(world):
    call = CallReplay(world.peer, ADA_PHONE)
    call.dial()
    gather = call.last.gather
    params = call._params(SpeechResult="call me when a new user signs up", Confidence="0.9")
    first = world.peer.post(path_of(gather["action"]), params)
    again = world.peer.post(path_of(gather["action"]), params)
    assert first.text == again.text and "call you when a new user signs up" in first.text
    assert len(monitors()) == 1
    assert monitors()[0].channel == "voice" and monitors()[0].event_name == "user.created"
    assert len([row for row in interactions() if row.step == "command"]) == 1


def test_a_result_call_reads_the_change_and_takes_pin_then_1_to_approve(world):
    with db.session_scope() as session:
        modification = waiting_modification(
            session,
            "calculator",
            {"main.py": "def add(a, b):\n    return b + a\n"},
            requested_by_id=world.ada_id,
        )
        modification.channel = Channel.VOICE
        modification.plan = {"summary": "Swap the operands"}
        session.add(modification)
        modification_id = modification.id
        ada = session.get(User, world.ada_id)
        ada.preferred_channel = Channel.VOICE
        session.add(ada)
    offer_for_approval(modification_id)
    with db.session_scope() as session:
        told = session.exec(select(Notification)).one()
    assert told.channel == Channel.VOICE and "twiml" in told.data
    call = CallReplay(world.peer, ADA_PHONE, outbound=True)
    call.start_from(told.data["twiml"])
    assert "waiting for approval" in call.text() and "Swap the operands" in call.text()
    call.press(ADA_PIN)
    assert call.text() == "Press 1 to approve the change, or 2 to reject it."
    call.press("1")
    assert call.text().startswith("Approved. Calculator is now at version 2")
    with db.session_scope() as session:
        assert session.get(Modification, modification_id).status == ModificationStatus.APPLIED


def test_call_status_callbacks_are_recorded_on_the_notification_and_as_interactions(world):
    with db.session_scope() as session:
        row = outbox.queue(
            session,
            channel=Channel.VOICE,
            target=ADA_PHONE,
            body="hi",
            purpose=NotificationPurpose.RESULT,
            user_id=world.ada_id,
        )
        row.status, row.provider_id = NotificationStatus.SENT, "CA" + "3" * 32
        session.add(row)
    params = {
        "CallSid": "CA" + "3" * 32,
        "From": "+15550009999",
        "To": ADA_PHONE,
        "Direction": "outbound-api",
    }
    for state in ("ringing", "completed", "in-progress"):
        answer = world.peer.post("/webhooks/voice/status", {**params, "CallStatus": state})
        assert answer.status_code == 204
    with db.session_scope() as session:
        assert session.exec(select(Notification)).one().status == "delivered"
    assert [row.outcome for row in interactions()] == ["ringing", "completed", "in-progress"]


# --- a result while the person is on the call ---------------------------------------------------


def _deploy_by_call(world) -> tuple[CallReplay, int]:
    """Ada asks by phone to deploy the calculator; the deploy job runs while she is on."""
    call = CallReplay(world.peer, ADA_PHONE)
    call.dial()
    call.say("deploy the calculator")
    call.press(ADA_PIN)
    call.press("1")
    assert call.text().startswith("Deploying Calculator now. I'll tell you when it's live.")
    with db.session_scope() as session:
        task_id = session.exec(select(Task.id).where(Task.kind == JobKind.OBJECT_DEPLOY)).one()
    RUNNER.run_here(task_id, None)
    with db.session_scope() as session:
        told = session.exec(select(Notification)).one()
    assert (told.channel, told.status, told.body) == (
        "voice", NotificationStatus.HELD, "Calculator version 1 is live."
    )  # fmt: skip
    return call, int(told.id)


def _send_jobs() -> list[Task]:
    with db.session_scope() as session:
        return list(session.exec(select(Task).where(Task.kind == JobKind.NOTIFICATION_SEND)))


def test_a_result_that_comes_during_the_call_is_told_in_it_not_by_a_second_call(world):
    call, notification_id = _deploy_by_call(world)
    assert _send_jobs() == [], "no second call while she is on this one"
    call.say("how many users are there")
    assert call.text() == (
        "While we were talking: Calculator version 1 is live. There are 2 users. Anything else?"
    )
    call.say("")
    assert call.text() == "Goodbye.", "told once"
    with db.session_scope() as session:
        assert session.get(Notification, notification_id).status == NotificationStatus.DELIVERED
    assert _send_jobs() == []
    assert ("result", "told") in [(row.step, row.outcome) for row in interactions()]


def test_a_result_held_for_a_call_that_ended_goes_out_as_usual(world):
    call, notification_id = _deploy_by_call(world)
    ended = world.peer.post("/webhooks/voice/status", call._params(CallStatus="completed"))
    assert ended.status_code == 204
    with db.session_scope() as session:
        assert session.get(Notification, notification_id).status == NotificationStatus.QUEUED
    assert [task.params["notification_id"] for task in _send_jobs()] == [notification_id]


def test_a_result_held_for_a_call_gone_quiet_is_sent_by_the_dispatcher(world):
    from datetime import timedelta

    from backend.models import Interaction
    from backend.monitoring import dispatcher

    _, notification_id = _deploy_by_call(world)
    assert dispatcher.flush()["released"] == 0, "the call is still on"
    with db.session_scope() as session:  # no turn for two minutes: the call ended unheard
        for row in session.exec(select(Interaction)):
            row.created_at -= timedelta(minutes=2)
            session.add(row)
    assert dispatcher.flush()["released"] == 1
    assert [task.params["notification_id"] for task in _send_jobs()] == [notification_id]
