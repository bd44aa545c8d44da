"""Monitors at work: the dispatcher, grouping, metric edges, silences, the check object,
quiet hours, alert calls answered by key or SMS, repeats and voicemail."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlmodel import select

from backend import config, db
from backend.access.audit import Actor
from backend.accounts import users
from backend.enums import Channel, EventName, NotificationStatus
from backend.models import Event, Monitor, MonitorFiring, Notification, User, utcnow
from backend.monitoring import alerts, dispatcher, monitors
from backend.objects import store
from cli.main import main
from tests.support.deploying import deploy_now
from tests.support.phone_world import ADA_PHONE, OPERATOR
from tests.support.twilio_peer import CallReplay

ADMIN_ONLY = [{"field": "is_admin", "op": "==", "value": True}]


def _monitor(owner_id: int, *, event="user.created", filters=None, channel="voice", group=0,
             condition=None) -> int:  # fmt: skip
    with db.session_scope() as session:
        return monitors.create_monitor_in(
            session,
            owner_id=owner_id,
            event=event,
            condition=condition or monitors.event_condition(filters),
            channel=channel,
            description="test monitor",
            actor=OPERATOR,
            group_seconds=group,
        ).id


def _sign_up(name: str, *, admin: bool = False) -> None:
    with db.session_scope() as session:
        users.add_user_in(
            session, name=name, email=f"{name.lower()}@example.com", is_admin=admin,
            actor=OPERATOR,
        )  # fmt: skip


def _payment_failed(amount: float = 30.0, customer: str = "acme", ago: timedelta | None = None):
    with db.session_scope() as session:
        event = Event(
            name=EventName.PAYMENT_FAILED,
            payload={"amount": amount, "currency": "USD", "customer": customer,
                     "reason": "card declined"},
            source="api:test",
        )  # fmt: skip
        if ago:
            event.created_at = utcnow() - ago
        session.add(event)


def _notifications() -> list[Notification]:
    with db.session_scope() as session:
        return list(session.exec(select(Notification).order_by(Notification.id)))


def _firings() -> list[MonitorFiring]:
    with db.session_scope() as session:
        return list(session.exec(select(MonitorFiring).order_by(MonitorFiring.id)))


def test_a_signup_rings_the_owners_phone_with_who_signed_up(world):
    _monitor(world.ada_id)
    _sign_up("Cleo")
    dispatcher.run_once()
    (call,) = _notifications()
    assert (call.channel, call.target, call.purpose) == ("voice", ADA_PHONE, "alert")
    assert call.body == "New user signed up: Cleo (cleo@example.com), not as an admin."
    assert "Press 1 to acknowledge" in call.data["twiml"] and call.data["amd"] is True
    assert dispatcher.run_once()["dispatched"] == 0, "an event is dispatched once"
    assert len(_notifications()) == 1


def test_filters_decide_and_paused_monitors_watch_nothing(world):
    admins = _monitor(world.ada_id, filters=ADMIN_ONLY)
    _sign_up("Dan")
    dispatcher.run_once()
    assert _notifications() == []
    _sign_up("Eve", admin=True)
    dispatcher.run_once()
    assert [n.body for n in _notifications()] == [
        "New user signed up: Eve (eve@example.com), as an admin."
    ]
    with db.session_scope() as session:
        monitors.pause_in(session, admins, actor=OPERATOR)
    _sign_up("Fay", admin=True)
    dispatcher.run_once()
    assert len(_notifications()) == 1


def test_the_first_event_goes_out_at_once_and_the_burst_after_it_is_one_notification(world):
    _monitor(world.ada_id, channel="sms", group=60)
    for name in ("Ann", "Ben", "Cat", "Dee"):
        _sign_up(name)
    dispatcher.run_once()
    first, held = _firings()
    (sms,) = _notifications()  # the first of a quiet spell: at once, not after the window
    assert sms.body.startswith("New user signed up: Ann (ann@example.com)")
    assert first.count == 1 and held.count == 3 and held.notified_at is None
    with db.session_scope() as session:  # the window closes
        row = session.get(MonitorFiring, held.id)
        row.group_until = utcnow() - timedelta(seconds=1)
        session.add(row)
    assert dispatcher.flush()["sent"] == 1
    burst = _notifications()[-1]
    assert burst.body.startswith(
        "3 new users signed up: ben@example.com, cat@example.com and 1 more."
    )
    assert "Reply ACK" in burst.body
    with db.session_scope() as session:  # a quiet spell later, the next one is at once again
        monitor = session.get(Monitor, first.monitor_id)
        monitor.last_fired_at = utcnow() - timedelta(minutes=5)
        session.add(monitor)
    _sign_up("Eli")
    dispatcher.run_once()
    assert _notifications()[-1].body.startswith("New user signed up: Eli")


def test_a_metric_monitor_fires_once_on_crossing_resolves_then_fires_again(world):
    condition = monitors.metric_condition("payments.failed.count", ">=", 2, window_minutes=60)
    _monitor(world.ada_id, event="payment.failed", channel="sms", condition=condition)
    _payment_failed()
    dispatcher.run_once()
    assert _firings() == []
    _payment_failed()
    _payment_failed()
    dispatcher.run_once()
    assert [(f.kind, f.summary) for f in _firings()] == [
        (
            "fired",
            "Now the number of failed payments in the last 60 minutes is at least 2: it is 2.",
        )
    ]
    with db.session_scope() as session:  # an hour later, the failures are out of the window
        for event in session.exec(select(Event).where(Event.name == "payment.failed")):
            event.created_at -= timedelta(hours=2)
            session.add(event)
    assert dispatcher.check_metrics() == 1
    assert [f.kind for f in _firings()] == ["fired", "resolved"]
    assert dispatcher.check_metrics() == 0, "resolved once"
    _payment_failed()
    _payment_failed()
    dispatcher.run_once()
    assert [f.kind for f in _firings()] == ["fired", "resolved", "fired"]
    assert [n.body.split(":")[0] for n in _notifications()] == [
        "Now the number of failed payments in the last 60 minutes is at least 2",
        "Resolved",
        "Now the number of failed payments in the last 60 minutes is at least 2",
    ]


def test_a_silenced_monitor_keeps_its_history_and_tells_nobody(world):
    watching = _monitor(world.ada_id)
    with db.session_scope() as session:
        monitors.silence_in(session, watching, minutes=60, actor=OPERATOR)
    _sign_up("Gus")
    dispatcher.run_once()
    (firing,) = _firings()
    (row,) = _notifications()
    assert row.status == NotificationStatus.SUPPRESSED and "silenced until" in row.error
    assert firing.count == 1


def test_two_dispatchers_at_once_notify_once(world):
    _monitor(world.ada_id, channel="sms")
    for name in ("Hal", "Ida", "Jon", "Kim"):
        _sign_up(name)
    threads = [threading.Thread(target=dispatcher.run_once) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(n.body.split(":")[1].split("(")[0].strip() for n in _notifications()) == [
        "Hal", "Ida", "Jon", "Kim",
    ]  # fmt: skip


def test_a_changed_check_runs_in_the_sandbox(world):
    watching = _monitor(world.ada_id, channel="sms")
    with db.session_scope() as session:
        slug = store.get_object(session, f"monitor-{watching}").slug
        code = store.get_version(session, slug).files["main.py"]
    assert "def check(event: dict) -> bool:" in code
    changed = code.replace(
        "    return all(holds(",
        '    if not str(payload.get("email", "")).endswith("@gmail.com"):\n'
        "        return False\n    return all(holds(",
    )
    with db.session_scope() as session:
        store.edit_object(session, slug, files={"main.py": changed}, actor=OPERATOR)
    deploy_now(slug, actor=OPERATOR, number=2)
    _sign_up("Lou")
    with db.session_scope() as session:
        users.add_user_in(session, name="Max", email="max@gmail.com", actor=OPERATOR)
    dispatcher.run_once()
    assert next(n.body for n in _notifications()).startswith("New user signed up: Max")
    assert len(_notifications()) == 1


def test_quiet_hours_and_the_hourly_limit_turn_calls_into_texts(world, monkeypatch):
    _monitor(world.ada_id)
    with db.session_scope() as session:
        ada = session.get(User, world.ada_id)
        ada.timezone, ada.quiet_start, ada.quiet_end = "Pacific/Kiritimati", "00:00", "23:59"
        session.add(ada)
    _sign_up("Ned")
    dispatcher.run_once()
    assert _notifications()[-1].channel == Channel.SMS
    assert "quiet hours" in _notifications()[-1].body
    with db.session_scope() as session:
        ada = session.get(User, world.ada_id)
        ada.quiet_start = ada.quiet_end = ""
        session.add(ada)
    monkeypatch.setenv("MAX_CALLS_PER_HOUR", "1")
    config.reload_settings()
    for name in ("Oli", "Pam"):
        _sign_up(name)
        dispatcher.run_once()
    assert [n.channel for n in _notifications()] == ["sms", "voice", "sms"]
    assert "most calls an hour allows" in _notifications()[-1].body


def test_pressing_1_on_an_alert_call_acknowledges_and_stops_the_repeats(world, monkeypatch):
    _monitor(world.ada_id)
    _sign_up("Quin")
    dispatcher.run_once()
    (call,) = _notifications()
    _age(call.id)
    assert dispatcher.flush()["repeated"] == 1, "not acknowledged: called again"
    second = _notifications()[-1]
    assert (second.channel, second.repeat) == ("voice", 1)
    replay = CallReplay(world.peer, ADA_PHONE, outbound=True)
    replay.start_from(second.data["twiml"])
    turn = replay.press("1")
    assert replay.text() == (
        f"Acknowledged monitor {second.monitor_id}'s alert: New user signed up: Quin "
        "(quin@example.com), not as an admin. Goodbye."
    )
    assert turn.hangup
    _age(second.id)
    assert dispatcher.flush()["repeated"] == 0
    assert _firings()[0].acknowledged_by == "ada@example.com"


def _age(notification_id: int, minutes: float = 10) -> None:
    with db.session_scope() as session:
        row = session.get(Notification, notification_id)
        row.created_at -= timedelta(minutes=minutes)
        session.add(row)


def test_unanswered_calls_go_to_voicemail_then_out_by_sms(world, monkeypatch):
    monkeypatch.setenv("ALERT_CALL_TRIES", "2")
    config.reload_settings()
    _monitor(world.ada_id)
    _sign_up("Rex")
    dispatcher.run_once()
    first = _notifications()[0]
    with db.session_scope() as session:
        row = session.get(Notification, first.id)
        row.provider_id = "CA" + "7" * 32
        session.add(row)
    voicemail = {"CallSid": "CA" + "7" * 32, "AnsweredBy": "machine_end_beep",
                 "From": "+15550009999", "To": ADA_PHONE}  # fmt: skip
    assert world.peer.post("/webhooks/voice/amd", voicemail).status_code == 204
    assert _notifications()[0].answered_by == "machine_end_beep"
    _age(first.id)
    dispatcher.flush()
    _age(_notifications()[-1].id)
    dispatcher.flush()
    assert [(n.channel, n.repeat) for n in _notifications()] == [
        ("voice", 0), ("voice", 1), ("sms", 2),
    ]  # fmt: skip
    assert _notifications()[-1].body.startswith("I called 2 times and couldn't reach you.")
    _age(_notifications()[-1].id)
    assert dispatcher.flush()["repeated"] == 0, "the SMS is the last word"


def test_repeated_calls_count_toward_the_hourly_cap(world, monkeypatch):
    monkeypatch.setenv("MAX_CALLS_PER_HOUR", "3")
    monkeypatch.setenv("ALERT_CALL_TRIES", "10")
    config.reload_settings()
    _monitor(world.ada_id)
    _sign_up("Ray")
    dispatcher.run_once()
    for _ in range(5):  # nobody answers: every round finds the last call unanswered
        _age(_notifications()[-1].id, minutes=6)
        dispatcher.flush()
    assert [(n.channel, n.repeat) for n in _notifications()] == [
        ("voice", 0), ("voice", 1), ("voice", 2), ("sms", 3),
    ]  # fmt: skip
    assert _notifications()[-1].body.startswith(
        "You've had the most calls an hour allows, so I'm texting. New user signed up: Ray"
    )
    _sign_up("Sue")  # another alert within the hour is a text too
    dispatcher.run_once()
    assert _notifications()[-1].channel == "sms"


def test_sms_ack_pause_and_mute_answer_the_latest_alert(world):
    watching = _monitor(world.ada_id, channel="sms")
    _sign_up("Sam")
    dispatcher.run_once()
    reply = world.peer.sms(ADA_PHONE, "MUTE 1H")
    assert "silenced for an hour" in reply.text
    with db.session_scope() as session:
        monitor = monitors.get_monitor(session, watching)
        assert monitors.state_of(monitor) == "silenced"
    assert _firings()[0].acknowledged_at is not None
    assert "no alert waiting" in world.peer.sms(ADA_PHONE, "ack").text


def test_a_member_may_not_pause_someone_elses_monitor(world):
    watching = _monitor(world.ada_id)
    with db.session_scope() as session:
        bob = session.get(User, world.bob_id)
        try:
            monitors.pause_in(session, watching, actor=Actor.for_user(bob, Channel.WEB))
        except Exception as exc:
            refusal = str(exc)
    assert refusal.startswith("Only an admin or the owner can change this monitor")


def test_quiet_hours_are_set_with_the_cli_and_checked(sqlite_db, capsys):
    assert main(["users", "add", "--name", "Tia", "--email", "tia@example.com"]) == 0
    args = ["users", "quiet-hours", "tia@example.com", "--timezone", "Europe/Paris"]
    assert main([*args, "--from", "22:00", "--to", "07:00"]) == 0
    assert "quiet hours 22:00 to 07:00" in capsys.readouterr().out
    assert main([*args, "--from", "25:00", "--to", "07:00"]) == 2
    assert "'25:00' is not a time of day" in capsys.readouterr().err
    assert main(["users", "quiet-hours", "tia@example.com", "--timezone", "Mars/Olympus"]) == 2
    with db.session_scope() as session:
        tia = users.get_user_by_email(session, "tia@example.com")
    midnight_in_paris = utcnow().replace(hour=23, minute=30)  # 00:30 or 01:30 in Paris
    noon_in_paris = utcnow().replace(hour=11, minute=0)
    assert alerts.in_quiet_hours(tia, midnight_in_paris)
    assert not alerts.in_quiet_hours(tia, noon_in_paris)


def test_a_failed_alert_and_its_replacement_belong_to_the_same_firing(world):
    from backend.channels import fallback

    _monitor(world.ada_id)
    _sign_up("Uma")
    dispatcher.run_once()
    (call,) = _notifications()
    with db.session_scope() as session:
        row = session.get(Notification, call.id)
        row.status, row.error = NotificationStatus.FAILED, "busy"
        session.add(row)
        replacement = fallback.after_failure(session, row)
        assert replacement is not None
    assert {n.firing_id for n in _notifications()} == {call.firing_id}
    _age(call.id)
    assert dispatcher.flush()["repeated"] == 0, "replaced by a text: no more calls"
