"""Monitors as people read them: a row per monitor (what it watches, its state, its last
firing and notification) and one monitor's page (its form, its check's code, its history).

Each read is a few queries whatever the number of monitors: the monitors with their owners,
then the last firing and the last notification of all of them at once. `summaries` and
`history` hold the rows themselves; `*Row`/`MonitorDetail` word them for pages, `*Record`
for JSON (the CLI's --json), as in `records.py`. `read_*` opens its own session.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Any

from sqlmodel import Session, col, func, select

from backend.access.audit import Actor
from backend.access.permissions import Permission, only_user_id, refusal
from backend.accounts import users
from backend.commands.wording import condition_phrase
from backend.db import session_scope
from backend.enums import NotificationPurpose
from backend.errors import NotFound
from backend.events import reported as events
from backend.models import DurableObject, Monitor, MonitorFiring, Notification, User
from backend.monitoring import monitors
from backend.objects import store
from backend.read_models.display import when
from backend.read_models.records import Record

FIRED = "fired"


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


@dataclasses.dataclass
class MonitorSummary:
    """A monitor with what its row shows, read in bulk by `summaries`."""

    monitor: Monitor
    owner: str
    firings: int  # how many times it fired
    last_firing: MonitorFiring | None
    last_notification: Notification | None


def _last_per_monitor(session: Session, model: type, ids: list[int], *where) -> dict[int, Any]:
    """The newest row of `model` (MonitorFiring or Notification) of each monitor, and how
    many there are, in one query: {monitor_id: (row, count)}."""
    newest = (
        select(
            model.monitor_id,
            func.max(model.id).label("last_id"),
            func.count(model.id).label("n"),
        )
        .where(col(model.monitor_id).in_(ids), *where)
        .group_by(model.monitor_id)
        .subquery()
    )
    rows = session.exec(select(model, newest.c.n).join(newest, model.id == newest.c.last_id))
    return {row.monitor_id: (row, n) for row, n in rows}


def summaries(
    session: Session, *, owner_id: int | None = None, monitor_ids: list[int] | None = None
) -> list[MonitorSummary]:
    """Monitors not deleted (one person's, or these ids, or all), oldest first."""
    statement = (
        select(Monitor, User.name)
        .join(User, col(Monitor.owner_id) == col(User.id))
        .where(col(Monitor.deleted_at).is_(None))
    )
    if owner_id is not None:
        statement = statement.where(Monitor.owner_id == owner_id)
    if monitor_ids is not None:
        statement = statement.where(col(Monitor.id).in_(monitor_ids))
    found = session.exec(statement.order_by(col(Monitor.id))).all()
    ids = [m.id for m, _ in found]
    if not ids:
        return []
    fired = _last_per_monitor(session, MonitorFiring, ids, MonitorFiring.kind == FIRED)
    told = _last_per_monitor(session, Notification, ids)
    return [
        MonitorSummary(
            monitor=monitor,
            owner=owner,
            firings=fired.get(monitor.id, (None, 0))[1],
            last_firing=fired.get(monitor.id, (None, 0))[0],
            last_notification=told.get(monitor.id, (None, 0))[0],
        )
        for monitor, owner in found
    ]


def _silenced_until(monitor: Monitor) -> Any:
    """The end of a silence still running, else None."""
    until = monitor.silenced_until
    return until if until is not None and monitors.state_of(monitor) == "silenced" else None


@dataclasses.dataclass
class MonitorRow:
    id: int
    owner: str
    watches: str  # "a new user signs up where is admin is true"
    description: str
    channel: str
    state: str  # armed | firing | paused | silenced
    active: bool
    firings: int
    last_fired: str
    last_fired_count: int  # events the last firing covered
    last_notified_channel: str
    last_notified_status: str
    last_notified: str
    silenced_until: str
    # Why the viewer may not pause, resume, silence or delete it ("" when they may): the
    # page shows its buttons disabled with this.
    refused: str = ""


def _refused(viewer: Actor | None, monitor: Monitor) -> str:
    if viewer is None:
        return ""
    reason = refusal(viewer, Permission.MONITOR, owner_id=monitor.owner_id)
    return reason[:1].upper() + reason[1:]


def monitor_row(summary: MonitorSummary, viewer: Actor | None = None) -> MonitorRow:
    """`viewer`: the person the page is for, whose rights `refused` words."""
    monitor, firing, told = summary.monitor, summary.last_firing, summary.last_notification
    return MonitorRow(
        id=monitor.id or 0,
        owner=summary.owner,
        watches=condition_phrase(monitor.event_name, monitor.condition),
        description=monitor.description,
        channel=monitor.channel,
        state=str(monitors.state_of(monitor)),
        active=monitor.active,
        firings=summary.firings,
        last_fired=when(firing.created_at) if firing else "",
        last_fired_count=firing.count if firing else 0,
        last_notified_channel=told.channel if told else "",
        last_notified_status=told.status if told else "",
        last_notified=when(told.created_at) if told else "",
        silenced_until=when(_silenced_until(monitor)),
        refused=_refused(viewer, monitor),
    )


@dataclasses.dataclass
class LastNotificationRecord(Record):
    channel: str
    status: str
    created_at: str | None


@dataclasses.dataclass
class CheckRecord(Record):
    """A monitor's check object, where its page is."""

    slug: str
    current_version: int | None
    deployed_version: int | None
    url: str


@dataclasses.dataclass
class DeliveryRecord(Record):
    id: int | None
    channel: str
    target: str
    purpose: str
    status: str
    attempts: int
    error: str | None
    provider_id: str | None
    created_at: str | None
    sent_at: str | None


@dataclasses.dataclass
class FiringRecord(Record):
    id: int | None
    kind: str
    count: int
    summary: str
    created_at: str | None
    acknowledged_at: str | None
    acknowledged_by: str | None
    notifications: list[DeliveryRecord]


@dataclasses.dataclass
class MonitorRecord(Record):
    """A monitor for --json: its form, state, last firing and last notification."""

    id: int | None
    owner_id: int
    owner: str
    event: str
    condition: dict[str, Any]
    watches: str
    description: str
    channel: str
    group_seconds: int
    state: str
    active: bool
    silenced_until: str | None
    object_id: int | None
    firings: int
    last_fired_at: str | None
    last_fired_count: int
    last_notification: LastNotificationRecord | None
    created_at: str | None


@dataclasses.dataclass
class MonitorHistoryRecord(MonitorRecord):
    """A monitor with its check object (None: none yet), its code and its last firings."""

    check: CheckRecord | None = None
    code: str = ""
    history: list[FiringRecord] = dataclasses.field(default_factory=list)


def monitor_record(summary: MonitorSummary) -> MonitorRecord:
    monitor, firing, told = summary.monitor, summary.last_firing, summary.last_notification
    return MonitorRecord(
        id=monitor.id,
        owner_id=monitor.owner_id,
        owner=summary.owner,
        event=monitor.event_name,
        condition=monitor.condition,
        watches=condition_phrase(monitor.event_name, monitor.condition),
        description=monitor.description,
        channel=monitor.channel,
        group_seconds=monitor.group_seconds,
        state=str(monitors.state_of(monitor)),
        active=monitor.active,
        silenced_until=_iso(_silenced_until(monitor)),
        object_id=monitor.object_id,
        firings=summary.firings,
        last_fired_at=_iso(firing.created_at) if firing else None,
        last_fired_count=firing.count if firing else 0,
        last_notification=(
            LastNotificationRecord(told.channel, told.status, _iso(told.created_at))
            if told
            else None
        ),
        created_at=_iso(monitor.created_at),
    )


def read_monitor(monitor_id: int) -> MonitorRecord:
    """The monitor (not deleted), or `NotFound`."""
    with session_scope() as session:
        found = summaries(session, monitor_ids=[monitor_id])
        if not found:
            raise NotFound(f"no monitor {monitor_id}")
        return monitor_record(found[0])


def read_monitors(*, owner_email: str | None = None) -> list[MonitorRecord]:
    """Monitors not deleted (the person's with this email, or everybody's), oldest first."""
    with session_scope() as session:
        owner_id = users.get_user_by_email(session, owner_email).id if owner_email else None
        return [monitor_record(s) for s in summaries(session, owner_id=owner_id)]


def read_monitor_rows(owner_id: int | None = None, viewer: Actor | None = None) -> list[MonitorRow]:
    """The Monitors page's rows (a person's, or everybody's), oldest first; with `viewer`,
    each says why that person may not change it."""
    with session_scope() as session:
        return [monitor_row(s, viewer) for s in summaries(session, owner_id=owner_id)]


@dataclasses.dataclass
class FailedEventRow:
    """An event the dispatcher gave up on: no monitor heard of it, and why."""

    id: int
    name: str
    source: str
    created: str
    failed_at: str
    tries: int
    error: str


FAILED_SHOWN = 20


def read_failed_events(limit: int = FAILED_SHOWN) -> list[FailedEventRow]:
    """The latest events whose dispatch failed for good, newest first, for the Monitors page:
    a monitor may have missed them."""
    with session_scope() as session:
        found = events.list_events(session, limit=limit, only_failed=True)
        return [
            FailedEventRow(
                id=event.id or 0,
                name=event.name,
                source=event.source,
                created=when(event.created_at),
                failed_at=when(event.dispatched_at),
                tries=event.dispatch_tries,
                error=event.dispatch_error or "",
            )
            for event in found
        ]


@dataclasses.dataclass
class MonitorsPage:
    """What the Monitors page shows: the monitors' rows and the events none of them heard of
    because their dispatch failed."""

    rows: list[MonitorRow]
    failed_events: list[FailedEventRow]


def read_monitors_page(owner_id: int | None = None, viewer: Actor | None = None) -> MonitorsPage:
    """The Monitors page's data in one call (a person's monitors, or everybody's), its rows
    worded for `viewer` (see `read_monitor_rows`)."""
    return MonitorsPage(read_monitor_rows(owner_id, viewer), read_failed_events())


# --- one monitor ----------------------------------------------------------------------------


@dataclasses.dataclass
class MonitorHistory:
    """One monitor, its check object and code, and its firings (newest first) each with its
    notifications (oldest first)."""

    summary: MonitorSummary
    check: DurableObject | None
    code: str
    firings: list[tuple[MonitorFiring, list[Notification]]]


def history(session: Session, monitor_id: int, *, limit: int = 100) -> MonitorHistory:
    """The monitor (not deleted; else `NotFound`) with its last `limit` firings."""
    found = summaries(session, monitor_ids=[monitor_id])
    if not found:
        raise NotFound(f"no monitor {monitor_id}")
    summary = found[0]
    check = (
        session.get(DurableObject, summary.monitor.object_id) if summary.monitor.object_id else None
    )
    code = store.get_version(session, check.slug).files.get("main.py", "") if check else ""
    firings = session.exec(
        select(MonitorFiring)
        .where(MonitorFiring.monitor_id == monitor_id)
        .order_by(col(MonitorFiring.created_at).desc(), col(MonitorFiring.id).desc())
        .limit(limit)
    ).all()
    by_firing: dict[int, list[Notification]] = defaultdict(list)
    if firings:
        for notification in session.exec(
            select(Notification)
            .where(col(Notification.firing_id).in_([f.id for f in firings]))
            .order_by(col(Notification.id))
        ):
            by_firing[notification.firing_id].append(notification)
    return MonitorHistory(summary, check, code, [(f, by_firing[f.id]) for f in firings])


@dataclasses.dataclass
class DeliveryRow:
    id: int
    channel: str
    target: str
    status: str
    attempts: int
    error: str
    provider_id: str
    created: str
    sent: str


def delivery_row(notification: Notification, *, hide_target: bool = False) -> DeliveryRow:
    return DeliveryRow(
        id=notification.id or 0,
        channel=notification.channel,
        target="(not shown: another person's)" if hide_target else notification.target,
        status=notification.status,
        attempts=notification.attempts,
        error=notification.error or "",
        provider_id=notification.provider_id or "",
        created=when(notification.created_at, seconds=True),
        sent=when(notification.sent_at, seconds=True),
    )


def delivery_record(notification: Notification) -> DeliveryRecord:
    return DeliveryRecord(
        id=notification.id,
        channel=notification.channel,
        target=notification.target,
        purpose=notification.purpose or str(NotificationPurpose.ALERT),
        status=notification.status,
        attempts=notification.attempts,
        error=notification.error,
        provider_id=notification.provider_id,
        created_at=_iso(notification.created_at),
        sent_at=_iso(notification.sent_at),
    )


@dataclasses.dataclass
class FiringRow:
    id: int
    kind: str  # fired | resolved
    count: int
    summary: str
    created: str
    acknowledged: str
    acknowledged_by: str
    notifications: list[DeliveryRow]


@dataclasses.dataclass
class MonitorDetail:
    row: MonitorRow
    event: str
    condition_kind: str  # event | metric
    conditions: list[str]  # "is_admin == true", or "users.count > 1000 in 60 minutes"
    group_seconds: int
    check_slug: str  # "" when it has no check object
    check_url: str
    current_version: int
    deployed_version: int
    code: str
    firings: list[FiringRow]


def condition_lines(condition: dict[str, Any]) -> list[str]:
    """A condition as short lines of its parts, as they were given."""
    if condition.get("kind") == "metric":
        window = condition.get("window_minutes")
        within = f" in the last {window} minutes" if window else ""
        return [f"{condition['metric']} {condition['op']} {condition['value']:g}{within}"]
    return [
        f"{item['field']} {item['op']} {_literal(item.get('value'))}"
        for item in condition.get("filters") or []
    ]


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def monitor_detail(found: MonitorHistory, viewer: Actor | None = None) -> MonitorDetail:
    """A monitor's page for `viewer`: where to its notifications went (a phone number, an
    address) is shown only to its owner and to people who see everybody's."""
    monitor, check = found.summary.monitor, found.check
    only = only_user_id(viewer) if viewer is not None else None
    hide_targets = only is not None and only != monitor.owner_id
    return MonitorDetail(
        row=monitor_row(found.summary, viewer),
        event=monitor.event_name,
        condition_kind=str(monitor.condition.get("kind", "event")),
        conditions=condition_lines(monitor.condition),
        group_seconds=monitor.group_seconds,
        check_slug=check.slug if check else "",
        check_url=f"/objects/{check.slug}" if check else "",
        current_version=(check.current_version or 0) if check else 0,
        deployed_version=(check.deployed_version or 0) if check else 0,
        code=found.code,
        firings=[
            FiringRow(
                id=firing.id or 0,
                kind=firing.kind,
                count=firing.count,
                summary=firing.summary,
                created=when(firing.created_at, seconds=True),
                acknowledged=when(firing.acknowledged_at, seconds=True),
                acknowledged_by=firing.acknowledged_by,
                notifications=[delivery_row(n, hide_target=hide_targets) for n in notifications],
            )
            for firing, notifications in found.firings
        ],
    )


def history_record(found: MonitorHistory) -> MonitorHistoryRecord:
    """A monitor with its check, its code and its history, for --json."""
    summary = monitor_record(found.summary)
    record = MonitorHistoryRecord(
        **{field.name: getattr(summary, field.name) for field in dataclasses.fields(summary)}
    )
    check = found.check
    if check:
        record.check = CheckRecord(
            slug=check.slug,
            current_version=check.current_version,
            deployed_version=check.deployed_version,
            url=f"/objects/{check.slug}",
        )
    record.code = found.code
    record.history = [
        FiringRecord(
            id=firing.id,
            kind=firing.kind,
            count=firing.count,
            summary=firing.summary,
            created_at=_iso(firing.created_at),
            acknowledged_at=_iso(firing.acknowledged_at),
            acknowledged_by=firing.acknowledged_by or None,
            notifications=[delivery_record(n) for n in notifications],
        )
        for firing, notifications in found.firings
    ]
    return record


def read_monitor_history(monitor_id: int) -> MonitorHistoryRecord:
    """The monitor (not deleted; else `NotFound`) with its check and its last firings."""
    with session_scope() as session:
        return history_record(history(session, monitor_id))


def read_monitor_detail(monitor_id: int, viewer: Actor | None = None) -> MonitorDetail | None:
    """The monitor page's content for `viewer` (see `monitor_detail`); None when there is no
    such monitor (or it was deleted)."""
    with session_scope() as session:
        try:
            return monitor_detail(history(session, monitor_id), viewer)
        except NotFound:
            return None
