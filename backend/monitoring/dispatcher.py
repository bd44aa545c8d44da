"""The dispatcher: every event handed to the monitors watching its name, exactly once.

For each event not yet dispatched: the candidate monitors are found by event name (an
index, so monitors watching other events cost nothing), each is checked (the declarative
form in-process; a check object whose changed version is deployed, in the sandbox), and
then one transaction claims the event (`dispatched_at`, a conditional UPDATE: of two
dispatchers only one wins) and writes what the checks found: a firing, or an event added to
a firing whose grouping window is still open, or a metric monitor's edge (fired, resolved).
A crash before that commit leaves the event undispatched, so it is done again; never
skipped, never twice.

An event whose dispatch fails (a check that raises, a row the database refuses) must not stop
the events after it: each failure is counted on the event by a conditional UPDATE, and after
EVENT_DISPATCH_MAX_TRIES the event is given up on, `dispatched_at` set with `dispatch_error`
kept (its status is "failed", `events list` and the Monitors page show it). Errors that say
the database is away or busy (`TRANSIENT`) are not the event's fault: the round stops there
and nothing is counted. `flush` sends the firings whose window closed and tries unanswered
alert calls again; `check_metrics` is the schedule's check of metric monitors.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import case, literal, update
from sqlmodel import Session, col, select

from backend.channels import notify
from backend.config import get_settings
from backend.db import DATABASE_UNAVAILABLE, session_scope
from backend.enums import Channel, NotificationPurpose
from backend.events import payloads as event_payloads
from backend.models import (
    DurableObject,
    Event,
    Monitor,
    MonitorFiring,
    Notification,
    UTCDateTime,
    utcnow,
)
from backend.monitoring import alerts, messages, metrics, object_health
from backend.monitoring.checks import event_for_check
from backend.monitoring.predicate import holds
from backend.objects import runtime

log = logging.getLogger(__name__)
BATCH = 200
#: The database is away, busy or out of connections: not the event's fault, so no try is
#: counted; the round stops and the next one tries again.
TRANSIENT = DATABASE_UNAVAILABLE
ERROR_MAX = 2000
#: Kept when even the cleaned error text could not be written.
UNRECORDABLE = "the dispatch failed, and so did recording its error (see the worker's log)"


@dataclass
class Verdict:
    monitor_id: int
    matched: bool
    metric_value: float | None = None


def _active(statement):
    return statement.where(Monitor.active, col(Monitor.deleted_at).is_(None))


def _checked_in_sandbox(session: Session, monitor: Monitor) -> str | None:
    """The check object's slug when a changed version of it is deployed, else None."""
    if monitor.object_id is None:
        return None
    obj = session.get(DurableObject, monitor.object_id)
    if obj is None or not obj.deployed_version or obj.deployed_version <= 1:
        return None
    return obj.slug


def _verdict(session: Session, monitor: Monitor, event: Event) -> Verdict:
    condition = monitor.condition or {}
    value = None
    if condition.get("kind") == "metric":
        value = _measure(session, condition, as_of=event.created_at)
    slug = _checked_in_sandbox(session, monitor)
    if slug is not None:
        try:
            matched = bool(
                runtime.call_object(
                    slug,
                    "check",
                    {"event": event_for_check(event.name, event.payload, value)},
                    check_access=False,
                )
            )
        except Exception as exc:  # a broken check must not stop the other monitors
            log.warning("monitor %s: its check failed: %s", monitor.id, exc)
            matched = False
        return Verdict(monitor.id, matched, value)
    if value is not None:
        return Verdict(monitor.id, holds(value, condition["op"], condition["value"]), value)
    filters = condition.get("filters") or []
    payload = event.payload or {}
    matched = all(holds(payload.get(f["field"]), f["op"], f["value"]) for f in filters)
    return Verdict(monitor.id, matched)


def _measure(session: Session, condition: dict[str, Any], *, as_of=None) -> float:
    """A metric monitor's value now (or as of an event): an object's calls, or the database."""
    if object_health.is_object_metric(condition):
        return object_health.measure(session, condition, as_of=as_of).value
    return metrics.measure(
        session, condition["metric"], condition.get("window_minutes"), as_of=as_of
    )


def dispatch_pending(limit: int = BATCH) -> int:
    """Dispatch up to `limit` events not dispatched yet, oldest first; how many."""
    with session_scope() as session:
        events = list(
            session.exec(
                select(Event)
                .where(col(Event.dispatched_at).is_(None))
                .order_by(col(Event.id))
                .limit(limit)
            )
        )
        names = {event.name for event in events}
        watching = list(
            session.exec(_active(select(Monitor)).where(col(Monitor.event_name).in_(names)))
        )
    by_name: dict[str, list[Monitor]] = {}
    for monitor in watching:
        by_name.setdefault(monitor.event_name, []).append(monitor)
    quiet = [event.id for event in events if event.name not in by_name]
    if quiet:
        _claim_all(quiet)
    for event in events:
        if event.name in by_name:
            # A monitor is told only of what happened after it was made.
            newer = [m for m in by_name[event.name] if m.created_at <= event.created_at]
            try:
                dispatch_one(event, newer)
            except TRANSIENT:
                raise
            except Exception as exc:  # this event's fault: count it and go on to the next
                failed_try(event.id, exc)
    return len(events)


def error_text(exc: BaseException) -> str:
    """The error to keep on the event: the database's own message when there is one (not
    SQLAlchemy's statement and parameters), made storable and cut to ERROR_MAX characters,
    so recording it can't fail the way the dispatch did (a NUL byte quoted in the error)."""
    cause = getattr(exc, "orig", None) or exc
    try:
        text = f"{type(cause).__name__}: {cause}"
    except Exception:  # an exception whose str() raises
        text = type(cause).__name__
    return event_payloads.clean(text)[:ERROR_MAX]


def failed_try(event_id: int, exc: BaseException) -> None:
    """Count a failed dispatch of the event and keep its error; at the last try the event is
    marked failed (`dispatched_at` set, the error kept). Conditional on the event not being
    done, so a dispatcher that succeeded meanwhile is never undone; two failing at once both
    count, in the database (`dispatch_tries + 1`)."""
    error = error_text(exc)
    log.warning("event %s: dispatch failed: %s", event_id, error)
    try:
        _count_try(event_id, error)
    except TRANSIENT:
        raise
    except Exception:
        log.exception("event %s: could not record the failed dispatch", event_id)
        _count_try(event_id, UNRECORDABLE)


def _count_try(event_id: int, error: str) -> None:
    tries = Event.dispatch_tries + 1
    given_up = case(
        (tries >= get_settings().event_dispatch_max_tries, literal(utcnow(), UTCDateTime)),
        else_=None,
    )
    with session_scope() as session:
        session.execute(
            update(Event)
            .where(col(Event.id) == event_id, col(Event.dispatched_at).is_(None))
            .values(dispatch_tries=tries, dispatch_error=error, dispatched_at=given_up)
            .execution_options(synchronize_session=False)
        )


def _claim_all(event_ids: list[int]) -> None:
    """Events no monitor watches: marked dispatched in one statement."""
    with session_scope() as session:
        session.execute(
            update(Event)
            .where(col(Event.id).in_(event_ids), col(Event.dispatched_at).is_(None))
            .values(dispatched_at=utcnow())
            .execution_options(synchronize_session=False)
        )


def dispatch_one(event: Event, candidates: list[Monitor]) -> None:
    """Check `event` against its candidate monitors and record what they found, once."""
    with session_scope() as session:
        verdicts = [_verdict(session, monitor, event) for monitor in candidates]
    with session_scope() as session:
        claimed = session.execute(
            update(Event)
            .where(col(Event.id) == event.id, col(Event.dispatched_at).is_(None))
            .values(dispatched_at=utcnow(), dispatch_error=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            return  # another dispatcher has it
        for verdict in verdicts:
            monitor = session.get(Monitor, verdict.monitor_id)
            if monitor is None or not monitor.active or monitor.deleted_at is not None:
                continue
            if verdict.metric_value is not None:
                _edge(session, monitor, verdict.matched, verdict.metric_value, event.id)
            elif verdict.matched:
                _group(session, monitor, event)


def _group(session: Session, monitor: Monitor, event: Event) -> None:
    """Add the event to the monitor's open firing, or open one.

    The first event after a quiet spell (no firing in the last grouping window) is sent at
    once: a person waiting for "a new user signs up" hears of it now. Only events that come
    after it within the window are grouped, into a firing sent when its window closes.
    """
    now = utcnow()
    open_firing = session.exec(
        select(MonitorFiring).where(
            MonitorFiring.monitor_id == monitor.id,
            MonitorFiring.kind == "fired",
            col(MonitorFiring.notified_at).is_(None),
            col(MonitorFiring.group_until) > now,
        )
    ).first()
    if open_firing is not None:
        open_firing.event_ids = [*open_firing.event_ids, event.id]
        open_firing.count += 1
        session.add(open_firing)
        return
    window = timedelta(seconds=monitor.group_seconds)
    quiet = monitor.last_fired_at is None or monitor.last_fired_at <= now - window
    firing = MonitorFiring(
        monitor_id=monitor.id,
        event_ids=[event.id],
        count=1,
        group_until=now + window,
    )
    session.add(firing)
    monitor.last_fired_at = now
    session.add(monitor)
    session.flush()
    if quiet or monitor.group_seconds <= 0:
        _notify(session, monitor, firing)


def _edge(
    session: Session, monitor: Monitor, holds_now: bool, value: float, event_id: int | None
) -> None:
    """A metric monitor fires when its condition becomes true and resolves when it becomes
    false again: a conditional UPDATE, so the schedule and the dispatcher never both fire."""
    changed = session.execute(
        update(Monitor)
        .where(col(Monitor.id) == monitor.id, col(Monitor.condition_met) == (not holds_now))
        .values(
            condition_met=holds_now, last_fired_at=utcnow() if holds_now else monitor.last_fired_at
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        return
    if object_health.is_object_metric(monitor.condition):
        message = object_health.alert(
            session, monitor.id, monitor.condition, resolved=not holds_now
        )
    else:
        message = messages.for_metric(
            monitor.id, monitor.event_name, monitor.condition, value, resolved=not holds_now
        )
    firing = MonitorFiring(
        monitor_id=monitor.id,
        kind="fired" if holds_now else "resolved",
        event_ids=[event_id] if event_id else [],
        summary=message.short,
        group_until=utcnow(),
        notified_at=utcnow(),
    )
    session.add(firing)
    session.flush()
    alerts.send(session, monitor, firing, message)


def _notify(session: Session, monitor: Monitor, firing: MonitorFiring) -> None:
    # Cleaned: an event stored before ingest refused NUL and lone surrogates still words an
    # alert (with U+FFFD) instead of failing every try to store it.
    payloads = [
        event_payloads.clean(event.payload)
        for event in session.exec(
            select(Event).where(col(Event.id).in_(firing.event_ids)).order_by(col(Event.id))
        )
    ]
    message = messages.for_events(monitor.id, monitor.event_name, payloads)
    firing.summary = message.short
    firing.notified_at = utcnow()
    session.add(firing)
    alerts.send(session, monitor, firing, message)


def flush() -> dict[str, int]:
    """Send the firings whose grouping window closed; try unanswered alert calls again; send
    the results held for a person's call (`notify`) once that call has ended."""
    now = utcnow()
    with session_scope() as session:
        due = list(
            session.exec(
                select(MonitorFiring.id).where(
                    col(MonitorFiring.notified_at).is_(None), col(MonitorFiring.group_until) <= now
                )
            )
        )
    sent = _each(due, _send_due, "firing")
    with session_scope() as session:  # results held for a call that ended meanwhile
        released = notify.release_held(session)
    return {"sent": sent, "repeated": _repeat_calls(), "released": released}


def _each(items: list[Any], fn: Any, what: str) -> int:
    """`fn(item)` for each item, how many returned true. One that fails for its own reason
    is logged and the others go on (it is tried again next round); a `TRANSIENT` error stops
    the round."""
    done = 0
    for item in items:
        try:
            done += bool(fn(item))
        except TRANSIENT:
            raise
        except Exception:
            log.exception(
                "monitor dispatcher: %s %s failed; the others go on",
                what,
                getattr(item, "id", item),
            )
    return done


def _send_due(firing_id: int) -> bool:
    with session_scope() as session:
        claimed = session.execute(
            update(MonitorFiring)
            .where(col(MonitorFiring.id) == firing_id, col(MonitorFiring.notified_at).is_(None))
            .values(notified_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            return False
        firing = session.get(MonitorFiring, firing_id, populate_existing=True)
        monitor = session.get(Monitor, firing.monitor_id)
        _notify(session, monitor, firing)
        return True


def _repeat_calls() -> int:
    """Alert calls not acknowledged after ALERT_CALL_REPEAT_MINUTES are tried again; after
    ALERT_CALL_TRIES calls the alert goes out by SMS."""
    settings = get_settings()
    before = utcnow() - timedelta(minutes=settings.alert_call_repeat_minutes)
    with session_scope() as session:
        rows = list(
            session.exec(
                select(Notification)
                .join(MonitorFiring, MonitorFiring.id == Notification.firing_id)
                .join(Monitor, Monitor.id == MonitorFiring.monitor_id)
                .where(
                    Notification.channel == Channel.VOICE,
                    Notification.purpose == NotificationPurpose.ALERT,
                    col(Notification.created_at) <= before,
                    col(MonitorFiring.acknowledged_at).is_(None),
                    Monitor.active,
                    col(Monitor.deleted_at).is_(None),
                )
            )
        )
    latest: dict[int, Notification] = {}
    for row in rows:
        if row.firing_id not in latest or row.repeat > latest[row.firing_id].repeat:
            latest[row.firing_id] = row
    return _each(list(latest.values()), _repeat, "alert call repeat")


def _repeat(call: Notification) -> bool:
    settings = get_settings()
    with session_scope() as session:
        later = session.exec(
            select(Notification.id).where(
                Notification.firing_id == call.firing_id,
                col(Notification.id) > call.id,
            )
        ).first()
        if later is not None:
            return False  # already tried again, or replaced by an SMS
        firing = session.get(MonitorFiring, call.firing_id)
        monitor = session.get(Monitor, firing.monitor_id)
        if monitor.silenced_until is not None and monitor.silenced_until > utcnow():
            return False
        last_try = call.repeat + 1 >= settings.alert_call_tries
        said = f"I called {call.repeat + 1} times and couldn't reach you. " if last_try else ""
        message = messages.Message(
            subject=firing.summary[:120], short=said + firing.summary, full=firing.summary,
            link=(call.data or {}).get("link", ""),
        )  # fmt: skip
        channel = Channel.SMS if last_try else Channel.VOICE
        alerts.send(session, monitor, firing, message, repeat=call.repeat + 1, channel=channel)
        return True


def check_metrics() -> int:
    """The schedule's check of every active metric monitor (Celery beat); how many changed.

    First the recently deployed versions are looked at (`object_health.watch_versions`: a
    failing one is recorded, and rolled back where its owner allowed it)."""
    object_health.watch_versions()
    with session_scope() as session:
        watching = [
            m
            for m in session.exec(_active(select(Monitor)))
            if (m.condition or {}).get("kind") == "metric"
        ]
    changed = 0
    for monitor in watching:
        with session_scope() as session:
            condition = monitor.condition
            value = _measure(session, condition)
            now_holds = holds(value, condition["op"], condition["value"])
            if now_holds != monitor.condition_met:
                _edge(session, monitor, now_holds, value, None)
                changed += 1
    return changed


def run_once() -> dict[str, Any]:
    """One round of the worker's dispatcher: events, due firings, repeats."""
    dispatched = dispatch_pending()
    return {"dispatched": dispatched, **flush()}
