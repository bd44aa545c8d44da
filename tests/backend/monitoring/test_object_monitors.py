"""Monitors on an object's own behaviour, asked for by SMS; rollback offered by the alert and
taken by the signed SMS reply ROLLBACK + PIN; automatic rollback by the system.

Calls are counted with `record_call` + `flush` (the metrics' own door from the runtime), the
monitors are checked by the dispatcher's schedule (`check_metrics`), the person talks through
the signed Twilio webhooks and deploys run as the deploy job."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

from sqlmodel import select

from backend import db
from backend.background import jobs
from backend.enums import EventName, JobKind
from backend.metrics import record
from backend.models import (
    AuditEntry,
    DurableObject,
    Event,
    Monitor,
    MonitorFiring,
    Notification,
    ObjectCallMinute,
    Task,
)
from backend.monitoring import alerts, dispatcher
from backend.objects import store
from tests.support.deploying import deploy_now
from tests.support.phone_world import ADA_PHONE, ADA_PIN, OPERATOR, WIDGET
from tests.support.twilio_peer import CallReplay

BROKEN = '''def forecast(days: int) -> list[str]:
    """A forecast that fails."""
    raise RuntimeError("the forecast service is down")
'''


def _text(world, body: str) -> str:
    response = world.peer.sms(ADA_PHONE, body)
    assert response.status_code == 200, response.text
    return " ".join(node.text or "" for node in ET.fromstring(response.text).iter("Message"))


def _calls(slug: str, version: int, *, ok: int = 0, failed: int = 0) -> None:
    with db.session_scope() as session:
        object_id = store.get_object(session, slug).id
    for _ in range(ok):
        record.record_call(object_id, version, "forecast", None, 12.0)
    for _ in range(failed):
        record.record_call(
            object_id,
            version,
            "forecast",
            "error",
            30.0,
            "RuntimeError: the forecast service is down",
        )
    record.flush()


def _age_calls(minutes: float) -> None:
    """Move every counted minute back in time, as if the calls were made `minutes` ago."""
    with db.session_scope() as session:
        for row in session.exec(select(ObjectCallMinute)):
            row.period_start -= timedelta(minutes=minutes)
            session.add(row)


def _firings() -> list[MonitorFiring]:
    with db.session_scope() as session:
        return list(session.exec(select(MonitorFiring).order_by(MonitorFiring.id)))


def _alerts() -> list[Notification]:
    with db.session_scope() as session:
        return list(
            session.exec(
                select(Notification)
                .where(Notification.firing_id.is_not(None))
                .order_by(Notification.id)
            )
        )


def test_a_monitor_from_a_sentence_fires_once_when_crossing_and_rearms(world):
    deploy_now("weather-widget", actor=OPERATOR)
    said = _text(world, "text me if the weather widget fails more than 3 times in 5 minutes")
    assert said == (
        "OK, I'll text you when Weather widget's failed calls in 5 minutes is more than 3."
    )
    _calls("weather-widget", 1, ok=5, failed=3)
    assert dispatcher.check_metrics() == 0, "3 failures are not more than 3"
    _calls("weather-widget", 1, failed=1)
    assert dispatcher.check_metrics() == 1
    assert dispatcher.check_metrics() == 0, "fired once, not again while it holds"
    (fired,) = _alerts()
    assert fired.channel == "sms" and fired.target == ADA_PHONE
    for fact in (
        "Weather widget: failed calls 4 over the last 5 minutes (threshold 3).",
        "4 of 9 calls failed, p95 ",
        "Live version 1.",
        "Last error (version 1, function forecast): RuntimeError: the forecast service is down.",
    ):
        assert fact in fired.body, fired.body
    assert "ROLLBACK" not in fired.body, "v1 has no version before it to go back to"

    _age_calls(10)  # out of the window: back under the threshold, said once
    assert dispatcher.check_metrics() == 1
    assert dispatcher.check_metrics() == 0
    assert [f.kind for f in _firings()] == ["fired", "resolved"]
    assert _alerts()[-1].body.startswith("Resolved: Weather widget is back under 3")

    _calls("weather-widget", 1, failed=4)  # re-armed: crossing again fires again
    assert dispatcher.check_metrics() == 1
    assert [f.kind for f in _firings()] == ["fired", "resolved", "fired"]


def _call(world, days: int = 2):
    """One call of the widget through the real HTTP API (it is public)."""
    return world.peer.client.post("/api/objects/weather-widget/forecast", json={"days": days})


def _failing_new_version(world) -> None:
    """Weather widget v1 live and answering, then v2 (which fails) deployed and called: every
    call through the HTTP API, counted by the runtime."""
    with db.session_scope() as session:
        store.set_visibility_in(session, "weather-widget", public=True, actor=OPERATOR)
    deploy_now("weather-widget", actor=OPERATOR)
    for _ in range(20):
        assert _call(world).status_code == 200
    with db.session_scope() as session:
        store.edit_object(
            session, "weather-widget", files={"main.py": BROKEN}, actor=OPERATOR, message="v2"
        )
    assert deploy_now("weather-widget", actor=OPERATOR).status == "live"
    for _ in range(12):
        assert _call(world).status_code >= 400
    record.flush()


def test_a_failing_new_version_is_offered_back_and_rolled_back_by_sms(world):
    assert _text(world, "text me when the weather widget starts failing").startswith(
        "OK, I'll text you when Weather widget starts failing"
    )
    _failing_new_version(world)

    assert dispatcher.check_metrics() == 1
    with db.session_scope() as session:
        (failing,) = session.exec(select(Event).where(Event.name == EventName.OBJECT_FAILING))
        assert failing.payload["version"] == 2 and failing.payload["previous_version"] == 1
        assert failing.payload["rolled_back"] is False
    (alert,) = _alerts()
    assert "12 of 32 calls failed" in alert.body and "Live version 2." in alert.body
    assert (
        "Last error (version 2, function forecast): RuntimeError: the forecast service is down"
        in alert.body
    )
    assert "Version 2 fails more than version 1 did (100% of calls against 0%)." in alert.body
    assert "Reply ROLLBACK and your PIN (for example ROLLBACK 1234) to go back to v1" in alert.body

    assert _text(world, "ROLLBACK") == (
        "Please add your PIN, for example ROLLBACK 1234, to roll Weather widget back to "
        "version 1 and deploy it."
    )
    assert _text(world, "rollback 0000").startswith("That PIN isn't right.")
    assert _text(world, f"ROLLBACK {ADA_PIN}").startswith("Deploying Weather widget now.")
    with db.session_scope() as session:
        task = session.exec(
            select(Task).where(Task.kind == JobKind.OBJECT_DEPLOY).order_by(Task.id.desc())
        ).first()
        assert task.params["version"] == 3 and task.params["by"]["channel"] == "sms"
    jobs.run_here(task.id)
    with db.session_scope() as session:
        obj = store.get_object(session, "weather-widget")
        assert obj.deployed_version == 3
        assert store.get_version(session, "weather-widget", 3).files["main.py"] == WIDGET
    assert _firings()[0].acknowledged_at is not None, "the offer taken answers the alert"
    response = _call(world)
    assert response.status_code == 200 and response.json() == {"result": ["sun", "sun"]}
    with db.session_scope() as session:
        assert alerts.rollback_offer(session, world.ada_id) is None, "taken: no longer open"
        told = session.exec(select(Notification).order_by(Notification.id.desc())).first()
    # The result is reported to whoever asked, as for any deploy by SMS.
    assert (told.channel, told.target, told.body) == (
        "sms",
        ADA_PHONE,
        "Weather widget version 3 is live.",
    )


def test_automatic_rollback_is_the_systems_action_with_its_reason(world, capsys):
    from cli.main import main

    assert main(["objects", "auto-rollback", "weather-widget", "on"]) == 0
    assert "rolls back by itself" in capsys.readouterr().out
    _failing_new_version(world)
    dispatcher.check_metrics()
    assert dispatcher.check_metrics() == 0
    with db.session_scope() as session:
        rolled = session.exec(
            select(AuditEntry).where(AuditEntry.action == EventName.OBJECT_ROLLED_BACK)
        ).one()
        assert rolled.actor == "auto-rollback" and rolled.channel == "system"
        assert rolled.detail["restored"] == 1
        assert rolled.detail["reason"].startswith(
            "automatic rollback: v2 failed 100% of 12 calls since its deploy; v1 failed 0%"
        )
        assert (
            len(session.exec(select(Event).where(Event.name == EventName.OBJECT_FAILING)).all())
            == 1
        )
        task = session.exec(
            select(Task).where(Task.kind == JobKind.OBJECT_DEPLOY).order_by(Task.id.desc())
        ).first()
    jobs.run_here(task.id)
    with db.session_scope() as session:
        assert (
            session.exec(select(DurableObject).where(DurableObject.slug == "weather-widget"))
            .one()
            .deployed_version
            == 3
        )


def test_pressing_1_on_the_alert_call_rolls_back_after_the_pin(world):
    assert _text(world, "call me when the weather widget starts failing").startswith(
        "OK, I'll call you when Weather widget starts failing"
    )
    _failing_new_version(world)
    assert dispatcher.check_metrics() == 1
    (call,) = _alerts()
    assert call.channel == "voice"
    assert "Press 1 to go back to version 1, 2 to pause this monitor" in call.data["twiml"]
    replay = CallReplay(world.peer, ADA_PHONE, outbound=True)
    replay.start_from(call.data["twiml"])
    replay.press("1")
    assert replay.text() == (
        "To roll Weather widget back to version 1 and deploy it, enter your PIN, then press pound."
    )
    replay.press(ADA_PIN)
    assert (
        replay.text()
        == "Press 1 to roll Weather widget back to version 1 and deploy it, or 2 to cancel."
    )
    replay.press("1")
    assert replay.text().startswith("Deploying Weather widget now.")
    with db.session_scope() as session:
        task = session.exec(
            select(Task).where(Task.kind == JobKind.OBJECT_DEPLOY).order_by(Task.id.desc())
        ).first()
    assert task.params["version"] == 3 and task.params["by"]["channel"] == "voice"
    assert _firings()[0].acknowledged_at is not None


def test_the_cli_fields_make_the_same_monitor_as_the_sentence(world, capsys):
    from cli.main import main

    code = main(
        [
            "monitors", "add", "--user", "ada@example.com", "--metric", "object.latency",
            "--op", ">", "--value", "500", "--object", "Payment API", "--channel", "voice",
        ]
    )  # fmt: skip
    assert code != 0, "no object is called that"
    assert "no object called 'Payment API'" in capsys.readouterr().err
    code = main(
        [
            "monitors", "add", "--user", "ada@example.com", "--metric", "object.latency",
            "--op", ">", "--value", "500", "--object", "weather widget", "--channel", "voice",
        ]
    )  # fmt: skip
    assert code == 0
    assert (
        "I'll call you when Weather widget's p95 latency over 5 minutes is more than 500 ms"
        in capsys.readouterr().out
    )
    # The sentence asks for the very monitor the fields made: it is named, not made twice.
    said = _text(world, "call me if the weather widget gets slower than 500 ms")
    assert said == "You already have that (monitor 1)."
    with db.session_scope() as session:
        (only,) = session.exec(select(Monitor).order_by(Monitor.id)).all()
    assert only.condition["object"] == "weather-widget" and only.event_name == "object.deployed"


def test_any_object_starting_to_fail_is_told_by_email_naming_the_worst(world):
    said = _text(world, "email me when any object starts failing")
    assert said == (
        "OK, I'll email you when any object starts failing (at least 20% of its calls fail "
        "in 5 minutes)."
    )
    deploy_now("weather-widget", actor=OPERATOR)
    deploy_now("weather-api", actor=OPERATOR)
    _calls("weather-api", 1, ok=9, failed=1)  # 10%: not failing
    _calls("weather-widget", 1, failed=2)  # 100%, but under OBJECT_FAILING_MIN_CALLS calls
    assert dispatcher.check_metrics() == 0
    _calls("weather-widget", 1, ok=1)  # 3 calls, 2 failed
    assert dispatcher.check_metrics() == 1
    (mail,) = _alerts()
    assert mail.channel == "email" and mail.target == "ada@example.com"
    assert mail.body.startswith(
        "Weather widget: error rate 66.7% over the last 5 minutes (threshold 20%). "
        "2 of 3 calls failed"
    )
