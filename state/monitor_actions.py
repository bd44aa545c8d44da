"""What the monitor pages do, one backend call each, as the tab's person (`state.web_actor`
runs them in a thread with the actor). Every function returns something (never None)."""

from __future__ import annotations

from typing import Any

from backend.access import audit
from backend.db import session_scope
from backend.errors import InvalidInput, NotFound
from backend.models import User
from backend.monitoring import monitors
from backend.monitoring.fields import form_from_fields, parse_value

#: Silences a row offers: (label, minutes).
SILENCES = [("1 h", 60), ("1 day", 24 * 60)]
#: The channel choice that means "the owner's preferred one".
PREFERRED = "preferred"


def _owner(session, actor: audit.Actor) -> User:
    owner = session.get(User, actor.user_id) if actor.user_id is not None else None
    if owner is None:
        raise NotFound("sign in as a person to add a monitor")
    return owner


def preview(text: str, *, actor: audit.Actor) -> dict[str, Any]:
    """What the sentence would create for the tab's person (nothing written)."""
    with session_scope() as session:
        return monitors.preview(text, _owner(session, actor))


def save(form: dict[str, Any], *, actor: audit.Actor) -> int:
    """Create the monitor a preview showed; its id."""
    fields = {k: form[k] for k in ("event", "condition", "channel", "description")}
    with session_scope() as session:
        owner = _owner(session, actor)
        return monitors.create_monitor(session, owner_id=owner.id, actor=actor, **fields).id


def _number(text: str, what: str, kind: type = float) -> Any:
    try:
        return kind(text.strip())
    except ValueError:
        raise InvalidInput(f"{what} must be a number, not {text!r}") from None


def create_from_fields(fields: dict[str, Any], *, actor: audit.Actor) -> str:
    """Create a monitor from the form's fields; the sentence that confirms it."""
    with session_scope() as session:
        owner = _owner(session, actor)
        channel = fields.get("channel") or PREFERRED
        common = {"channel": None if channel == PREFERRED else channel}
        if fields.get("kind") == "metric":
            window = str(fields.get("window") or "").strip()
            form = form_from_fields(
                owner,
                metric=fields.get("metric"),
                op=fields.get("op"),
                value=_number(str(fields.get("value") or ""), "The value"),
                window_minutes=_number(window, "The window", int) if window else None,
                object_name=str(fields.get("object") or "").strip() or None,
                **common,
            )
        else:
            filters = [
                {"field": item["field"], "op": item["op"], "value": parse_value(item["value"])}
                for item in fields.get("filters") or []
                if str(item.get("field", "")).strip()  # a row left empty is no filter
            ]
            form = form_from_fields(owner, event=fields.get("event"), filters=filters, **common)
        monitors.create_monitor(session, owner_id=owner.id, actor=actor, **form)
        return monitors.confirmation(form)


def pause(monitor_id: int, *, actor: audit.Actor) -> int:
    with session_scope() as session:
        return monitors.pause(session, monitor_id, actor=actor).id


def resume(monitor_id: int, *, actor: audit.Actor) -> int:
    with session_scope() as session:
        return monitors.resume(session, monitor_id, actor=actor).id


def silence(monitor_id: int, minutes: int, *, actor: audit.Actor) -> int:
    with session_scope() as session:
        return monitors.silence(session, monitor_id, minutes=minutes, actor=actor).id


def delete(monitor_id: int, *, actor: audit.Actor) -> int:
    with session_scope() as session:
        return monitors.delete(session, monitor_id, actor=actor).id
