"""Read models of monitors and notifications: state, last firing and notification, history,
deleted monitors left out, filters, and a few queries whatever the number of monitors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import Session

from backend import db
from backend.access.audit import SYSTEM, Actor
from backend.accounts import users
from backend.enums import Channel, NotificationPurpose, NotificationStatus
from backend.errors import InvalidInput, NotFound
from backend.models import Monitor, MonitorFiring, Notification, User, utcnow
from backend.monitoring import monitors
from backend.monitoring.fields import form_from_fields, parse_filter, parse_value
from backend.read_models import monitors as views
from backend.read_models import notifications

OPERATOR = Actor.operator("test")


def _user(session: Session, name: str = "Ada") -> User:
    return users.add_user_in(
        session, name=name, email=f"{name.lower()}@example.com", preferred_channel=Channel.VOICE
    )


def _monitor(session: Session, owner: User, copy: int = 0, **fields) -> Monitor:
    """Ada's admin-sign-up monitor; `copy` > 0 makes another one like it (the same monitor
    twice is refused), watching for admins other than someone in particular."""
    filters = [{"field": "is_admin", "op": "==", "value": True}]
    if copy:
        filters.append({"field": "email", "op": "!=", "value": f"nobody{copy}@example.com"})
    form = {
        "event": "user.created",
        "condition": monitors.event_condition(filters),
        "channel": "voice",
        "description": "call me when an admin signs up",
        **fields,
    }
    return monitors.create_monitor_in(session, owner_id=owner.id, actor=OPERATOR, **form)


def _firing(session: Session, monitor: Monitor, ago: int, **fields) -> MonitorFiring:
    firing = MonitorFiring(
        monitor_id=monitor.id,
        created_at=utcnow() - timedelta(minutes=ago),
        summary=f"fired {ago} minutes ago",
        **fields,
    )
    session.add(firing)
    session.flush()
    return firing


def _notification(session: Session, monitor: Monitor, firing: MonitorFiring | None, **fields):
    values = {
        "monitor_id": monitor.id,
        "firing_id": firing.id if firing else None,
        "user_id": monitor.owner_id,
        "channel": "voice",
        "purpose": NotificationPurpose.ALERT,
        "target": "+15551230001",
        **fields,
    }
    notification = Notification(**values)
    session.add(notification)
    session.flush()
    return notification


def test_rows_say_state_last_firing_and_last_notification(sqlite_db):
    with db.session_scope() as session:
        ada = _user(session)
        quiet, busy, paused, hushed = (_monitor(session, ada, copy) for copy in range(4))
        _firing(session, busy, 30, count=2)
        last = _firing(session, busy, 5, count=3)
        _firing(session, busy, 1, kind="resolved")  # a resolution is not a firing
        _notification(session, busy, last, status=NotificationStatus.FAILED, channel="sms")
        monitors.pause_in(session, paused.id, actor=OPERATOR)
        monitors.silence_in(session, hushed.id, minutes=60, actor=OPERATOR)
        busy.condition_met = True
        session.add(busy)
        gone = _monitor(session, ada, 4)
        monitors.delete_in(session, gone.id, actor=OPERATOR)

    rows = {row.id: row for row in views.read_monitor_rows()}
    assert set(rows) == {quiet.id, busy.id, paused.id, hushed.id}  # the deleted one is hidden
    assert [rows[m.id].state for m in (quiet, busy, paused, hushed)] == [
        "armed",
        "firing",
        "paused",
        "silenced",
    ]
    assert rows[quiet.id].watches == "an admin signs up"
    assert (rows[quiet.id].firings, rows[quiet.id].last_fired, rows[quiet.id].last_notified) == (
        0,
        "",
        "",
    )
    row = rows[busy.id]
    assert (row.firings, row.last_fired_count) == (2, 3)
    assert row.last_fired.endswith("UTC")
    assert (row.last_notified_channel, row.last_notified_status) == ("sms", "failed")
    assert rows[hushed.id].silenced_until.endswith("UTC") and rows[busy.id].silenced_until == ""
    assert rows[busy.id].owner == "Ada"


def test_a_monitors_page_has_its_check_code_and_history_newest_first(sqlite_db):
    with db.session_scope() as session:
        ada = _user(session)
        monitor = _monitor(session, ada)
        old = _firing(session, monitor, 60)
        new = _firing(
            session,
            monitor,
            2,
            count=4,
            acknowledged_at=utcnow(),
            acknowledged_by="ada@example.com",
        )
        _notification(
            session,
            monitor,
            new,
            status=NotificationStatus.DELIVERED,
            attempts=1,
            provider_id="CA123",
        )
        _notification(session, monitor, new, status=NotificationStatus.FAILED, error="busy")
        _notification(session, monitor, old, status=NotificationStatus.SENT)

    detail = views.read_monitor_detail(monitor.id)
    assert detail is not None
    assert detail.check_slug == f"monitor-{monitor.id}"
    assert detail.check_url == f"/objects/monitor-{monitor.id}"
    assert detail.current_version == 1 and "def " in detail.code
    assert detail.conditions == ["is_admin == true"]
    assert [f.id for f in detail.firings] == [new.id, old.id]
    first = detail.firings[0]
    assert (first.count, first.acknowledged_by) == (4, "ada@example.com")
    assert [(n.status, n.provider_id, n.error) for n in first.notifications] == [
        ("delivered", "CA123", ""),
        ("failed", "", "busy"),
    ]
    assert [n.status for n in detail.firings[1].notifications] == ["sent"]

    view = views.read_monitor_history(monitor.id).as_json()
    assert view["check"]["slug"] == f"monitor-{monitor.id}"
    assert [h["id"] for h in view["history"]] == [new.id, old.id]
    assert view["history"][0]["notifications"][0]["provider_id"] == "CA123"
    monitors.delete(monitor.id, actor=OPERATOR)
    assert views.read_monitor_detail(monitor.id) is None
    with pytest.raises(NotFound):
        views.read_monitor_history(monitor.id)


def test_listing_many_monitors_takes_a_few_queries(sqlite_db):
    with db.session_scope() as session:
        ada = _user(session)
        for copy in range(6):
            monitor = _monitor(session, ada, copy)
            firing = _firing(session, monitor, 3)
            _notification(session, monitor, firing)
    statements: list[str] = []
    engine = db.get_engine()

    def count(*args) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        rows = views.read_monitor_rows()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(rows) == 6 and all(r.firings == 1 and r.last_notified for r in rows)
    assert len(statements) <= 3, statements


def test_notifications_newest_first_filtered_by_status_and_channel(sqlite_db):
    with db.session_scope() as session:
        ada = _user(session)
        monitor = _monitor(session, ada)
        _notification(session, monitor, None, status=NotificationStatus.DELIVERED)
        _notification(session, monitor, None, status=NotificationStatus.FAILED, error="no answer")
        session.add(
            Notification(
                channel="sms", target="+15551230009", purpose="verification", status="sent"
            )
        )

    rows = notifications.read_notifications(SYSTEM)
    assert [r.status for r in rows] == ["sent", "failed", "delivered"]
    assert (rows[0].monitor_id, rows[0].person, rows[0].monitor) == (0, "", "")
    assert (rows[1].monitor_id, rows[1].person) == (monitor.id, "Ada")
    assert rows[1].monitor == "an admin signs up"
    assert [r.error for r in notifications.read_notifications(SYSTEM, status="failed")] == [
        "no answer"
    ]
    assert [r.target for r in notifications.read_notifications(SYSTEM, channel="sms")] == [
        "+15551230009"
    ]
    assert notifications.read_notifications(SYSTEM, status="failed", channel="sms") == []
    with pytest.raises(InvalidInput, match="unknown status"):
        notifications.read_notifications(SYSTEM, status="lost")


def test_filters_and_fields_read_the_same_for_every_door(sqlite_db):
    assert parse_filter("is_admin==true") == {"field": "is_admin", "op": "==", "value": True}
    assert parse_filter("amount >= 500") == {"field": "amount", "op": ">=", "value": 500}
    assert parse_filter("email endswith @example.com")["op"] == "endswith"
    assert parse_value("1.5") == 1.5 and parse_value('"42"') == "42"
    with pytest.raises(InvalidInput, match="FIELD OP VALUE"):
        parse_filter("is_admin")
    with db.session_scope() as session:
        ada = _user(session)
        form = form_from_fields(ada, metric="users.count", op=">", value=1000, window_minutes=60)
        assert form["event"] == "user.created" and form["channel"] == "voice"
        assert form["condition"]["window_minutes"] == 60
        with pytest.raises(InvalidInput, match="not both"):
            form_from_fields(ada, event="user.created", metric="users.count", op=">", value=1)
        with pytest.raises(InvalidInput):
            form_from_fields(ada)


def test_preview_reads_a_sentence_back_and_writes_nothing(sqlite_db):
    with db.session_scope() as session:
        ada = _user(session)
        preview = monitors.preview("text me when a new user signs up", ada)
        assert preview["event"] == "user.created" and preview["channel"] == "sms"
        assert preview["confirmation"] == "OK, I'll text you when a new user signs up."
        with pytest.raises(InvalidInput):
            monitors.preview("what's the weather", ada)
        with pytest.raises(InvalidInput):
            monitors.preview("  ", ada)
        assert monitors.list_monitors(session) == []


def test_a_member_sees_their_own_notifications_and_may_not_change_other_monitors(sqlite_db):
    """Admins see everybody's notifications; a member their own, and another person's
    monitor's row says why its buttons are disabled (its page hides where it went)."""
    with db.session_scope() as session:
        ada, bob = _user(session, "Ada"), _user(session, "Bob")
        ada.is_admin = True
        ada_monitor, bob_monitor = _monitor(session, ada), _monitor(session, bob)
        firing = _firing(session, ada_monitor, 1)
        _notification(session, ada_monitor, firing, target="+15551230001")
        _notification(session, bob_monitor, None, target="+15551230002")
        session.add(Notification(channel="sms", target="+15550000000", purpose="verification"))
    admin, member = Actor.for_user(ada, Channel.WEB), Actor.for_user(bob, Channel.WEB)
    anonymous = Actor(name="anonymous", channel=Channel.WEB)

    assert len(notifications.read_notifications(admin)) == 3
    assert [r.target for r in notifications.read_notifications(member)] == ["+15551230002"]
    assert notifications.read_notifications(anonymous) == []

    rows = {r.id: r.refused for r in views.read_monitor_rows(viewer=member)}
    assert rows == {
        ada_monitor.id: "Only an admin or the owner can change this monitor",
        bob_monitor.id: "",
    }
    assert {r.refused for r in views.read_monitor_rows(viewer=admin)} == {""}
    others = views.read_monitor_detail(ada_monitor.id, member)
    assert others.row.refused and [n.target for n in others.firings[0].notifications] == [
        "(not shown: another person's)"
    ]
    own = views.read_monitor_detail(ada_monitor.id, admin)
    assert [n.target for n in own.firings[0].notifications] == ["+15551230001"]
