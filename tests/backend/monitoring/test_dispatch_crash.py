"""A worker killed while it dispatches loses no notification and sends none twice: events it
had not claimed are dispatched by the next worker, the ones it had claimed stay done."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections import Counter

from sqlalchemy import func
from sqlmodel import select

from backend import config, db
from backend.access.audit import Actor
from backend.accounts import users
from backend.channels.fallback import is_replacement
from backend.models import Event, MonitorFiring, Notification
from backend.monitoring import monitors
from tests.support.workers import start_worker, stop

SIGNUPS = 120
OPERATOR = Actor.operator("crash-test")


def _count(dispatched: bool) -> int:
    done = Event.dispatched_at.is_not(None) if dispatched else Event.dispatched_at.is_(None)
    with db.session_scope() as session:
        return int(session.exec(select(func.count()).select_from(Event).where(done)).one())


def test_a_worker_killed_mid_dispatch_loses_no_notification(sqlite_db, data_dir, monkeypatch):
    for name, value in {
        "CELERY_QUEUE": f"crash-{uuid.uuid4().hex[:8]}",
        "MONITOR_DISPATCH_SECONDS": "0.05",
        # No Twilio: each alert fails at once, recorded; what counts here is the rows.
        "NOTIFY_MAX_ATTEMPTS": "1",
    }.items():
        monkeypatch.setenv(name, value)
    config.reload_settings()
    with db.session_scope() as session:
        owner = users.add_user_in(session, name="Owner", email="owner@example.com", actor=OPERATOR)
        monitors.create_monitor_in(
            session, owner_id=owner.id, event="user.created",
            condition=monitors.event_condition(), channel="email",
            description="every signup", actor=OPERATOR, group_seconds=0,
        )  # fmt: skip
        for n in range(SIGNUPS):
            users.add_user_in(session, name=f"P{n}", email=f"p{n}@example.com", actor=OPERATOR)

    first = start_worker(dict(os.environ), data_dir / "worker1.log", "embedded")
    deadline = time.monotonic() + 60
    while _count(dispatched=True) < 5:
        assert time.monotonic() < deadline, first.log_tail()
        time.sleep(0.01)
    os.killpg(first.process.pid, signal.SIGKILL)  # mid-dispatch: no goodbye
    first.process.wait(10)
    assert _count(dispatched=False) > 0, "the worker was killed before it finished"

    second = start_worker(dict(os.environ), data_dir / "worker2.log", "embedded")
    try:
        deadline = time.monotonic() + 90
        while _count(dispatched=False):
            assert time.monotonic() < deadline, second.log_tail()
            time.sleep(0.2)
    finally:
        stop(second.process)
    with db.session_scope() as session:
        signups = {
            e.id for e in session.exec(select(Event).where(Event.name == "user.created"))
            if e.payload.get("email", "").startswith("p")
        }  # fmt: skip
        per_event = Counter(
            event_id
            for firing in session.exec(select(MonitorFiring))
            for event_id in firing.event_ids
        )
        sent = session.exec(select(Notification).where(Notification.purpose == "alert"))
        alerts = Counter(n.event_id for n in sent if n.repeat == 0 and not is_replacement(n))
    assert set(per_event) == signups and set(per_event.values()) == {1}
    assert set(alerts) == signups and set(alerts.values()) == {1}
