"""Monitors: what a person asked to be told about ("call me when a new user signs up").

A monitor watches one event name; its condition is either filters over the event's payload
(`{"kind": "event", "filters": [...]}`) or a metric compared with a value
(`{"kind": "metric", "metric": ..., "op": ..., "value": ..., "window_minutes": ...}`), in
which case it watches the event that moves the metric. Firing and notifying build on these
rows (the monitoring issue).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from backend import activity, audit
from backend.enums import Channel, EventName, Metric
from backend.errors import InvalidInput
from backend.models import Monitor
from backend.permissions import Permission, require

#: Channels a monitor can notify by.
NOTIFY_CHANNELS = (Channel.VOICE, Channel.SMS, Channel.EMAIL, Channel.SLACK, Channel.GITHUB)
#: The event that moves each metric, so a metric monitor is checked when it arrives.
METRIC_EVENTS = {
    Metric.USERS_COUNT: EventName.USER_CREATED,
    Metric.PAYMENTS_FAILED_COUNT: EventName.PAYMENT_FAILED,
}
FILTER_OPS = ("==", "!=", ">", ">=", "<", "<=", "contains", "endswith")
METRIC_OPS = (">", ">=", "<", "<=", "==")


def _filters(filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    clean = []
    for item in filters:
        field, op = str(item.get("field", "")).strip(), item.get("op")
        if not field or op not in FILTER_OPS:
            raise InvalidInput(f"a filter needs a field and one of {', '.join(FILTER_OPS)}")
        clean.append({"field": field, "op": op, "value": item.get("value")})
    return clean


def event_condition(filters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The condition of a monitor on an event's payload."""
    return {"kind": "event", "filters": _filters(filters or [])}


def metric_condition(
    metric: str, op: str, value: float, window_minutes: int | None = None
) -> dict[str, Any]:
    """The condition of a monitor on a metric crossing a value."""
    try:
        metric = Metric(metric)
    except ValueError:
        raise InvalidInput(f"unknown metric {metric!r}; known: {', '.join(Metric)}") from None
    if op not in METRIC_OPS:
        raise InvalidInput(f"a metric is compared with one of {', '.join(METRIC_OPS)}")
    return {
        "kind": "metric",
        "metric": str(metric),
        "op": op,
        "value": value,
        "window_minutes": window_minutes,
    }


def create_monitor(
    session: Session,
    *,
    owner_id: int,
    event: str,
    condition: dict[str, Any],
    channel: str,
    description: str,
    actor: audit.Actor,
) -> Monitor:
    """Add a monitor for `owner_id`; a person adds their own (admins anyone's)."""
    if actor.user_id != owner_id:
        require(actor, Permission.USER_ADMIN)
    try:
        name = EventName(event)
        notify_by = Channel(channel)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    if notify_by not in NOTIFY_CHANNELS:
        raise InvalidInput(f"a monitor notifies by {', '.join(NOTIFY_CHANNELS)}, not {channel}")
    monitor = Monitor(
        owner_id=owner_id,
        event_name=str(name),
        condition=condition,
        channel=str(notify_by),
        description=description.strip(),
    )
    session.add(monitor)
    session.flush()
    activity.record(
        session,
        actor,
        EventName.MONITOR_CREATED,
        detail={
            "monitor_id": monitor.id,
            "owner_id": owner_id,
            "event": monitor.event_name,
            "channel": monitor.channel,
        },
    )
    return monitor


def monitors_of(session: Session, owner_id: int) -> list[Monitor]:
    """A person's monitors, oldest first."""
    statement = select(Monitor).where(Monitor.owner_id == owner_id).order_by(col(Monitor.id))
    return list(session.exec(statement))
