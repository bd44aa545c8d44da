"""Monitors: what a person asked to be told about ("call me when a new user signs up").

A monitor watches one event name; its condition is either filters over the event's payload
(`{"kind": "event", "filters": [...]}`) or a metric compared with a value
(`{"kind": "metric", "metric": ..., "op": ..., "value": ..., "window_minutes": ...}`), in
which case it watches the event that moves the metric (and a schedule). Each monitor's check
is also a durable object of kind monitor (`backend.monitoring.checks`). The owner (or an
admin) pauses, resumes, silences and deletes it; deleted monitors stay in the database, with
their history, and are never shown again.

Transactions: each write action here owns its transaction (`backend.db.own_transaction`):
doors call `create_monitor(...), pause(...), resume(...), silence(...), delete(...)`; a
backend service composing several steps in one transaction calls the `_in(session, ...)`
form, which never commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from backend.access import audit
from backend.access.permissions import Permission, require
from backend.commands.parse import parse_command
from backend.commands.schema import Command
from backend.commands.wording import NOTIFY_PHRASES as NOTIFY_PHRASES_BY_CHANNEL
from backend.commands.wording import condition_phrase
from backend.config import get_settings
from backend.db import own_transaction, session_scope
from backend.enums import (
    OBJECT_METRICS,
    Channel,
    EventName,
    Intent,
    Metric,
    MonitorState,
    ObjectKind,
)
from backend.errors import Conflict, InvalidInput, NotFound
from backend.events import activity
from backend.models import Monitor, User, utcnow
from backend.monitoring import object_health
from backend.monitoring.checks import check_source
from backend.objects import store

#: Channels a monitor can notify by.
NOTIFY_CHANNELS = (Channel.VOICE, Channel.SMS, Channel.EMAIL, Channel.SLACK, Channel.GITHUB)
#: The event that moves each metric, so a metric monitor is checked when it arrives.
METRIC_EVENTS = {
    Metric.USERS_COUNT: EventName.USER_CREATED,
    Metric.PAYMENTS_FAILED_COUNT: EventName.PAYMENT_FAILED,
    # An object's calls are not events: these are checked on the schedule, and also when a
    # failing version is found (errors) or a version goes live (latency).
    Metric.OBJECT_ERRORS: EventName.OBJECT_FAILING,
    Metric.OBJECT_ERROR_RATE: EventName.OBJECT_FAILING,
    Metric.OBJECT_LATENCY: EventName.OBJECT_DEPLOYED,
}
FILTER_OPS = ("==", "!=", ">", ">=", "<", "<=", "contains", "endswith")
METRIC_OPS = (">", ">=", "<", "<=", "==")
#: Longest silence one can ask for.
SILENCE_MAX = timedelta(days=30)
#: How a sentence names the way a monitor tells its owner ("by call", "a text alert").
BY_CHANNEL = {
    Channel.VOICE: "call",
    Channel.SMS: "text",
    Channel.EMAIL: "email",
    Channel.SLACK: "Slack",
    Channel.GITHUB: "GitHub issue",
}


class MonitorExists(Conflict):
    """The owner already has a monitor for this: the same one (`identical`), or one on the
    same event and condition that tells them another way. Every door says which one."""

    def __init__(self, existing: Monitor, channel: str):
        self.monitor_id = int(existing.id or 0)
        self.existing_channel = existing.channel
        self.channel = channel
        self.identical = existing.channel == channel
        if self.identical:
            message = f"You already have that (monitor {self.monitor_id})"
        else:
            message = (
                f"You already have monitor {self.monitor_id} for that by "
                f"{by_channel(existing.channel)}"
            )
        super().__init__(message)


def by_channel(channel: str) -> str:
    """ "call", "text", "email": a monitor's channel in a sentence."""
    return BY_CHANNEL.get(channel, channel)  # type: ignore[call-overload]


def _condition_key(condition: dict[str, Any]) -> tuple:
    """What makes two conditions the same, whatever the order of their filters and the
    spelling of their numbers (500 and 500.0)."""

    def same(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return value if not isinstance(value, str) else value.strip().lower()
        return float(value)

    if condition.get("kind") == "metric":
        return (
            "metric",
            condition.get("metric"),
            condition.get("op"),
            same(condition.get("value")),
            condition.get("window_minutes"),
        )
    filters = sorted(
        (str(f.get("field")), str(f.get("op")), repr(same(f.get("value"))))
        for f in condition.get("filters") or []
    )
    return ("event", tuple(filters))


def same_monitors(
    session: Session, owner_id: int, event: str, condition: dict[str, Any]
) -> list[Monitor]:
    """The owner's monitors (not deleted) on `event` with the same condition, any channel."""
    key = _condition_key(condition)
    return [
        monitor
        for monitor in list_monitors(session, owner_id=owner_id)
        if monitor.event_name == event and _condition_key(monitor.condition) == key
    ]


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


def form_of(command: Command, owner: User, *, asked_by: Channel | None = None) -> dict[str, Any]:
    """A parsed command's monitor, as `create_monitor`'s fields (event, condition, channel,
    description); `InvalidInput` when it names nothing to watch.

    A request that names no channel ("tell me when ...") is answered the way it was asked:
    by text or call for someone who texted or called (`asked_by`), else the owner's
    preferred channel.
    """
    if command.metric in OBJECT_METRICS:
        value = None if command.value is None else float(command.value)
        with session_scope() as session:
            condition = object_health.condition_for(
                session,
                command.metric,
                command.op or ">",
                value,
                command.window_minutes,
                command.target,
            )
        event = str(METRIC_EVENTS[condition["metric"]])
    elif command.metric:
        condition = metric_condition(
            command.metric, command.op or ">", float(command.value or 0), command.window_minutes
        )
        event = str(METRIC_EVENTS[condition["metric"]])
    elif command.event:
        event = str(command.event)
        condition = event_condition([item.model_dump(mode="json") for item in command.filters])
    else:
        raise InvalidInput("say what to watch for, e.g. 'call me when a new user signs up'")
    return {
        "event": event,
        "condition": condition,
        "channel": command.channel or _default_channel(owner, asked_by),
        "description": command.text or condition_phrase(event, condition),
    }


def _default_channel(owner: User, asked_by: Channel | None) -> str:
    if asked_by in (Channel.SMS, Channel.VOICE):
        return str(asked_by)
    return owner.preferred_channel


def confirmation(form: dict[str, Any]) -> str:
    """ "OK, I'll call you when a new user signs up." for a monitor's fields."""
    how = NOTIFY_PHRASES_BY_CHANNEL.get(form["channel"], f"tell you by {form['channel']}")
    return f"OK, I'll {how} when {condition_phrase(form['event'], form['condition'])}."


def preview(text: str, owner: User) -> dict[str, Any]:
    """What saving `text` ("call me when a new user signs up") would create for `owner`:
    `create_monitor`'s fields plus "confirmation", the sentence read back; `InvalidInput`
    when it asks for no monitor. Writes nothing."""
    if not text.strip():
        raise InvalidInput("say what to watch for, e.g. 'call me when a new user signs up'")
    command = parse_command(text)
    if command.intent != Intent.MONITOR:
        raise InvalidInput(
            "that doesn't ask to be told about something; try 'call me when a new user signs up'"
        )
    form = form_of(command, owner)
    return {**form, "confirmation": confirmation(form)}


def create_monitor_in(
    session: Session,
    *,
    owner_id: int,
    event: str,
    condition: dict[str, Any],
    channel: str,
    description: str,
    actor: audit.Actor,
    group_seconds: int | None = None,
    also: bool = False,
) -> Monitor:
    """Add a monitor for `owner_id`, with its check object; a person adds their own
    (admins anyone's).

    Asking twice never makes two: the same owner, event, condition and channel as a
    monitor they have is `MonitorExists` (identical), and so is the same one by another
    channel unless `also` (the person said to add that way too).
    """
    if actor.user_id != owner_id:
        require(actor, Permission.USER_ADMIN)
    try:
        name = EventName(event)
        notify_by = Channel(channel)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    if notify_by not in NOTIFY_CHANNELS:
        raise InvalidInput(f"a monitor notifies by {', '.join(NOTIFY_CHANNELS)}, not {channel}")
    if session.get(User, owner_id) is None:
        raise NotFound(f"no user with id {owner_id}")
    for existing in same_monitors(session, owner_id, str(name), condition):
        if existing.channel == notify_by or not also:
            raise MonitorExists(existing, str(notify_by))
    window = get_settings().monitor_group_seconds if group_seconds is None else group_seconds
    if window < 0:
        raise InvalidInput("the grouping window can't be negative")
    monitor = Monitor(
        owner_id=owner_id,
        event_name=str(name),
        condition=condition,
        channel=str(notify_by),
        description=description.strip(),
        group_seconds=window,
    )
    session.add(monitor)
    session.flush()
    _add_check_object(session, monitor, actor)
    activity.record(
        session,
        actor,
        EventName.MONITOR_CREATED,
        object_id=monitor.object_id,
        detail={
            "monitor_id": monitor.id,
            "owner_id": owner_id,
            "event": monitor.event_name,
            "channel": monitor.channel,
        },
    )
    return monitor


create_monitor = own_transaction(create_monitor_in)


def _add_check_object(session: Session, monitor: Monitor, actor: audit.Actor) -> None:
    what = condition_phrase(monitor.event_name, monitor.condition)
    version = store.create_object_in(
        session,
        slug=f"monitor-{monitor.id}",
        name=f"Monitor {monitor.id}",
        description=f"The check of monitor {monitor.id}: {what}.",
        kind=ObjectKind.MONITOR,
        files={"main.py": check_source(monitor.id, monitor.event_name, monitor.condition, what)},
        owner_id=monitor.owner_id,
        message="Generated from the monitor's declarative form",
        author="system",
        actor=actor if actor.user_id is not None else audit.SYSTEM,
    )
    monitor.object_id = version.object_id
    session.add(monitor)


def get_monitor(session: Session, monitor_id: int) -> Monitor:
    """The monitor with this id (not deleted), or `NotFound`."""
    monitor = session.get(Monitor, monitor_id)
    if monitor is None or monitor.deleted_at is not None:
        raise NotFound(f"no monitor {monitor_id}")
    return monitor


def monitors_of(session: Session, owner_id: int) -> list[Monitor]:
    """A person's monitors, oldest first."""
    return list_monitors(session, owner_id=owner_id)


def list_monitors(session: Session, *, owner_id: int | None = None) -> list[Monitor]:
    """Monitors not deleted (a person's, or everybody's), oldest first."""
    statement = select(Monitor).where(col(Monitor.deleted_at).is_(None))
    if owner_id is not None:
        statement = statement.where(Monitor.owner_id == owner_id)
    return list(session.exec(statement.order_by(col(Monitor.id))))


def state_of(monitor: Monitor, now: datetime | None = None) -> MonitorState:
    """Paused, silenced, firing (a metric's condition holds) or armed."""
    now = now or utcnow()
    if not monitor.active:
        return MonitorState.PAUSED
    if monitor.silenced_until is not None and monitor.silenced_until > now:
        return MonitorState.SILENCED
    if monitor.condition_met:
        return MonitorState.FIRING
    return MonitorState.ARMED


def _changing(session: Session, monitor_id: int, actor: audit.Actor) -> Monitor:
    monitor = get_monitor(session, monitor_id)
    require(actor, Permission.MONITOR, owner_id=monitor.owner_id)
    return monitor


def _record(session: Session, actor: audit.Actor, action: EventName, monitor: Monitor, **more):
    monitor.updated_at = utcnow()
    session.add(monitor)
    session.flush()
    activity.record(
        session,
        actor,
        action,
        object_id=monitor.object_id,
        detail={"monitor_id": monitor.id, **more},
    )


def pause_in(session: Session, monitor_id: int, *, actor: audit.Actor) -> Monitor:
    """Stop watching until resumed (and stop repeating its calls)."""
    monitor = _changing(session, monitor_id, actor)
    monitor.active = False
    _record(session, actor, EventName.MONITOR_PAUSED, monitor)
    return monitor


pause = own_transaction(pause_in)


def resume_in(session: Session, monitor_id: int, *, actor: audit.Actor) -> Monitor:
    """Watch again (a silence still running is lifted too)."""
    monitor = _changing(session, monitor_id, actor)
    monitor.active = True
    monitor.silenced_until = None
    _record(session, actor, EventName.MONITOR_RESUMED, monitor)
    return monitor


resume = own_transaction(resume_in)


def silence_in(session: Session, monitor_id: int, *, minutes: float, actor: audit.Actor) -> Monitor:
    """Keep watching but tell nobody for `minutes` (firings are still kept)."""
    if not 0 < minutes <= SILENCE_MAX.total_seconds() / 60:
        raise InvalidInput("a silence lasts more than 0 minutes and at most 30 days")
    monitor = _changing(session, monitor_id, actor)
    monitor.silenced_until = utcnow() + timedelta(minutes=minutes)
    _record(
        session,
        actor,
        EventName.MONITOR_SILENCED,
        monitor,
        until=monitor.silenced_until.isoformat(timespec="seconds"),
    )
    return monitor


silence = own_transaction(silence_in)


def delete_in(session: Session, monitor_id: int, *, actor: audit.Actor) -> Monitor:
    """Stop and hide the monitor; its history stays."""
    monitor = _changing(session, monitor_id, actor)
    monitor.active = False
    monitor.deleted_at = utcnow()
    _record(session, actor, EventName.MONITOR_DELETED, monitor)
    return monitor


delete = own_transaction(delete_in)


def set_channel_in(
    session: Session, monitor_id: int, channel: str, *, actor: audit.Actor
) -> Monitor:
    """Tell the owner another way ("switch it to text"); `MonitorExists` when they already
    have the same monitor that way."""
    try:
        notify_by = Channel(channel)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    if notify_by not in NOTIFY_CHANNELS:
        raise InvalidInput(f"a monitor notifies by {', '.join(NOTIFY_CHANNELS)}, not {channel}")
    monitor = _changing(session, monitor_id, actor)
    was = monitor.channel
    if was == notify_by:
        return monitor
    for other in same_monitors(session, monitor.owner_id, monitor.event_name, monitor.condition):
        if other.id != monitor.id and other.channel == notify_by:
            raise MonitorExists(other, str(notify_by))
    monitor.channel = str(notify_by)
    _record(
        session, actor, EventName.MONITOR_CHANNEL_CHANGED, monitor, channel=monitor.channel, was=was
    )
    return monitor


set_channel = own_transaction(set_channel_in)
