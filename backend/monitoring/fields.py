"""A monitor from explicit fields (the web form, `monitors add --event ...`), as
`monitors.create_monitor`'s fields, so both doors read filters and values the same way.

A filter is written `FIELD OP VALUE` (`is_admin==true`, `amount > 500`,
`email endswith @example.com`); a value reads as true/false, a number, or else text.

`preview`, `create_from_text` and `create_from_fields` are what doors call: each reads the
owner and (for the last two) creates the monitor in its own transaction.
"""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session

from backend.access import audit
from backend.commands.wording import condition_phrase
from backend.db import session_scope
from backend.enums import OBJECT_METRICS, Metric
from backend.errors import InvalidInput, NotFound
from backend.models import Monitor, User
from backend.monitoring import monitors, object_health

# Longest first, so ">=" is not read as ">" followed by "=...".
_OPS = sorted(monitors.FILTER_OPS, key=len, reverse=True)
_WORD_OPS = {"contains", "endswith"}


def parse_value(text: str) -> bool | int | float | str:
    """ "true" -> True, "12" -> 12, "1.5" -> 1.5, anything else stays text (quotes removed)."""
    raw = text.strip()
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    for number in (int, float):
        try:
            return number(raw)
        except ValueError:
            pass
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    return raw


def parse_filter(text: str) -> dict[str, Any]:
    """`is_admin==true` -> {"field": "is_admin", "op": "==", "value": True}."""
    for op in _OPS:
        pattern = rf"\s+{op}\s+" if op in _WORD_OPS else re.escape(op)
        parts = re.split(pattern, text.strip(), maxsplit=1)
        if len(parts) == 2 and parts[0].strip() and parts[1].strip():
            return {"field": parts[0].strip(), "op": op, "value": parse_value(parts[1])}
    raise InvalidInput(
        f"a filter is FIELD OP VALUE with OP one of {', '.join(monitors.FILTER_OPS)}: {text!r}"
    )


def form_from_fields(
    owner: User,
    *,
    event: str | None = None,
    filters: list[dict[str, Any]] | None = None,
    metric: str | None = None,
    op: str | None = None,
    value: float | None = None,
    window_minutes: int | None = None,
    channel: str | None = None,
    object_name: str | None = None,
) -> dict[str, Any]:
    """`create_monitor`'s fields (event, condition, channel, description) for an event with
    optional filters, or a metric compared with a value (its event is the one that moves it);
    the channel is the owner's preferred one when not given. A metric on an object's calls
    (`object.errors`, ...) watches the object `object_name` names (slug or name), or any
    object when none is given."""
    if object_name and str(object_name).strip() and metric not in OBJECT_METRICS:
        raise InvalidInput("only an object metric (object.errors, ...) watches one object")
    if metric in OBJECT_METRICS:
        if event or filters:
            raise InvalidInput("watch an event (with filters) or a metric, not both")
        if op is None or (value is None and metric != Metric.OBJECT_ERROR_RATE):
            raise InvalidInput("a metric needs an operator and a value, e.g. > 3")
        if window_minutes is not None and window_minutes <= 0:
            raise InvalidInput("a metric's window is a positive number of minutes")
        if op not in monitors.METRIC_OPS:
            raise InvalidInput(f"a metric is compared with one of {', '.join(monitors.METRIC_OPS)}")
        with session_scope() as session:
            condition = object_health.condition_for(
                session, metric, op, value, window_minutes, (object_name or "").strip() or None
            )
        event = str(monitors.METRIC_EVENTS[condition["metric"]])
    elif metric:
        if event or filters:
            raise InvalidInput("watch an event (with filters) or a metric, not both")
        if op is None or value is None:
            raise InvalidInput("a metric needs an operator and a value, e.g. > 1000")
        if window_minutes is not None and window_minutes <= 0:
            raise InvalidInput("a metric's window is a positive number of minutes")
        condition = monitors.metric_condition(metric, op, float(value), window_minutes)
        event = str(monitors.METRIC_EVENTS[condition["metric"]])
    elif event:
        condition = monitors.event_condition(filters or [])
    else:
        raise InvalidInput("give an event to watch (e.g. user.created) or a metric")
    return {
        "event": event,
        "condition": condition,
        "channel": channel or owner.preferred_channel,
        "description": condition_phrase(event, condition),
    }


def _owner(session: Session, owner_id: int | None) -> User:
    owner = session.get(User, owner_id) if owner_id is not None else None
    if owner is None:
        raise NotFound("sign in as a person to add a monitor")
    return owner


def preview(text: str, *, owner_id: int | None) -> dict[str, Any]:
    """What saving `text` would create for the person `owner_id` (`monitors.preview`)."""
    with session_scope() as session:
        return monitors.preview(text, _owner(session, owner_id))


def create_from_text(
    text: str,
    *,
    owner_id: int | None,
    actor: audit.Actor,
    channel: str | None = None,
    group_seconds: int | None = None,
    also: bool = False,
) -> tuple[Monitor, str]:
    """Create the monitor a sentence asks for (`channel` overrides the one it names); the
    monitor and the sentence that confirms it."""
    with session_scope() as session:
        owner = _owner(session, owner_id)
        form = monitors.preview(text, owner)
        form.pop("confirmation")
        if channel:
            form["channel"] = channel
        monitor = monitors.create_monitor_in(
            session, owner_id=owner.id, actor=actor, group_seconds=group_seconds, also=also, **form
        )
        return monitor, monitors.confirmation(form)


def create_from_fields(
    *,
    owner_id: int | None,
    actor: audit.Actor,
    group_seconds: int | None = None,
    also: bool = False,
    **fields: Any,
) -> tuple[Monitor, str]:
    """Create a monitor from `form_from_fields`'s fields; the monitor and its confirmation."""
    with session_scope() as session:
        owner = _owner(session, owner_id)
        form = form_from_fields(owner, **fields)
        monitor = monitors.create_monitor_in(
            session, owner_id=owner.id, actor=actor, group_seconds=group_seconds, also=also, **form
        )
        return monitor, monitors.confirmation(form)
