"""What the monitor pages do, one backend call each, as the tab's person (`state.web_actor`
runs them in a thread with the actor). Every function returns something (never None)."""

from __future__ import annotations

from typing import Any

from backend.access import audit
from backend.errors import InvalidInput, NotFound
from backend.monitoring import fields, monitors
from backend.monitoring.fields import parse_value

#: Silences a row offers: (label, minutes).
SILENCES = [("1 h", 60), ("1 day", 24 * 60)]
#: The channel choice that means "the owner's preferred one".
PREFERRED = "preferred"


def preview(text: str, *, actor: audit.Actor) -> dict[str, Any]:
    """What the sentence would create for the tab's person (nothing written)."""
    return fields.preview(text, owner_id=actor.user_id)


def save(form: dict[str, Any], *, actor: audit.Actor) -> int:
    """Create the monitor a preview showed; its id."""
    given = {k: form[k] for k in ("event", "condition", "channel", "description")}
    return monitors.create_monitor(owner_id=_signed_in(actor), actor=actor, **given).id


def _number(text: str, what: str, kind: type = float) -> Any:
    try:
        return kind(text.strip())
    except ValueError:
        raise InvalidInput(f"{what} must be a number, not {text!r}") from None


def _signed_in(actor: audit.Actor) -> int:
    if actor.user_id is None:
        raise NotFound("sign in as a person to add a monitor")
    return actor.user_id


def create_from_fields(form: dict[str, Any], *, actor: audit.Actor) -> str:
    """Create a monitor from the form's fields; the sentence that confirms it."""
    channel = form.get("channel") or PREFERRED
    common = {"channel": None if channel == PREFERRED else channel}
    if form.get("kind") == "metric":
        window = str(form.get("window") or "").strip()
        given = {
            "metric": form.get("metric"),
            "op": form.get("op"),
            "value": _number(str(form.get("value") or ""), "The value"),
            "window_minutes": _number(window, "The window", int) if window else None,
            "object_name": str(form.get("object") or "").strip() or None,
        }
    else:
        filters = [
            {"field": item["field"], "op": item["op"], "value": parse_value(item["value"])}
            for item in form.get("filters") or []
            if str(item.get("field", "")).strip()  # a row left empty is no filter
        ]
        given = {"event": form.get("event"), "filters": filters}
    _, confirmation = fields.create_from_fields(
        owner_id=actor.user_id, actor=actor, **given, **common
    )
    return confirmation


def pause(monitor_id: int, *, actor: audit.Actor) -> int:
    return monitors.pause(monitor_id, actor=actor).id


def resume(monitor_id: int, *, actor: audit.Actor) -> int:
    return monitors.resume(monitor_id, actor=actor).id


def silence(monitor_id: int, minutes: int, *, actor: audit.Actor) -> int:
    return monitors.silence(monitor_id, minutes=minutes, actor=actor).id


def delete(monitor_id: int, *, actor: audit.Actor) -> int:
    return monitors.delete(monitor_id, actor=actor).id
