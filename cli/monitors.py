"""`monitors`: what people asked to be told about; add from a sentence or from fields, list,
show with history, pause, resume, silence, delete."""

from __future__ import annotations

import argparse
from typing import Any

from backend.access.audit import Actor
from backend.enums import EventName, Metric
from backend.errors import Conflict, InvalidInput
from backend.monitoring import fields, monitors
from backend.monitoring.fields import parse_filter
from backend.read_models import monitors as views
from backend.read_models import records
from cli.output import Command, noun, table

LIST_COLUMNS = ["id", "owner", "state", "channel", "watches", "firings", "last_fired_at"]
CHANNELS = [str(c) for c in monitors.NOTIFY_CHANNELS]


def _fields_given(args: argparse.Namespace) -> bool:
    return any(
        value not in (None, [])
        for value in (
            args.event,
            args.filter,
            args.metric,
            args.op,
            args.value,
            args.window,
            args.object,
        )
    )


def cmd_monitors_add(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    owner_id = records.read_user(args.user).id
    if args.text is not None and _fields_given(args):
        raise InvalidInput("give --text or the fields (--event/--metric ...), not both")
    try:
        monitor, confirmation = _create(args, owner_id, actor)
    except monitors.MonitorExists as exists:
        if exists.identical:
            raise
        raise Conflict(f"{exists}; --also adds this one by {exists.channel} too") from None
    view = views.read_monitor(int(monitor.id)).as_json()
    return view, f"monitor {monitor.id}: {confirmation}"


def _create(args: argparse.Namespace, owner_id: int, actor: Actor) -> tuple[Any, str]:
    if args.text is not None:
        return fields.create_from_text(
            args.text,
            owner_id=owner_id,
            actor=actor,
            channel=args.channel,
            group_seconds=args.group_seconds,
            also=args.also,
        )
    return fields.create_from_fields(
        owner_id=owner_id,
        actor=actor,
        group_seconds=args.group_seconds,
        also=args.also,
        object_name=args.object,
        event=args.event,
        filters=[parse_filter(text) for text in args.filter],
        metric=args.metric,
        op=args.op,
        value=args.value,
        window_minutes=args.window,
        channel=args.channel,
    )


def cmd_monitors_list(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    rows = [m.as_json() for m in views.read_monitors(owner_email=args.user)]
    return rows, table(rows, LIST_COLUMNS)


def _history_text(view: dict[str, Any]) -> str:
    check = view["check"]
    lines = [
        f"monitor {view['id']} of {view['owner']}: {view['state']}",
        f"watches: {view['watches']} ({view['event']})",
        f"notifies by: {view['channel']} (grouped over {view['group_seconds']} s)",
    ]
    if view["silenced_until"]:
        lines.append(f"silenced until: {view['silenced_until']}")
    if check:
        lines.append(
            f"check: {check['slug']} v{check['current_version']} "
            f"(deployed: {check['deployed_version'] or 'none'}) {check['url']}"
        )
    lines.append("history:" if view["history"] else "history: (none)")
    for firing in view["history"]:
        acked = (
            f", acknowledged by {firing['acknowledged_by']}" if firing["acknowledged_by"] else ""
        )
        lines.append(
            f"  {firing['created_at']} {firing['kind']} x{firing['count']}: "
            f"{firing['summary']}{acked}"
        )
        for n in firing["notifications"]:
            error = f" ({n['error']})" if n["error"] else ""
            lines.append(
                f"    {n['channel']} to {n['target']}: {n['status']}, "
                f"{n['attempts']} attempts{error}"
            )
    return "\n".join(lines)


def cmd_monitors_show(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    view = views.read_monitor_history(args.id).as_json()
    return view, _history_text(view)


def _changed(monitor_id: int, done: str) -> tuple[Any, str]:
    view = views.read_monitor(monitor_id).as_json()
    return view, f"monitor {monitor_id} {done} (now {view['state']})"


def cmd_monitors_pause(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    monitors.pause(args.id, actor=actor)
    return _changed(args.id, "paused")


def cmd_monitors_resume(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    monitors.resume(args.id, actor=actor)
    return _changed(args.id, "resumed")


def cmd_monitors_silence(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    monitor = monitors.silence(args.id, minutes=args.minutes, actor=actor)
    until = monitor.silenced_until.isoformat(timespec="seconds") if monitor.silenced_until else ""
    return _changed(args.id, f"silenced until {until}")


def cmd_monitors_delete(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    monitor = monitors.delete(args.id, actor=actor)
    view = {"id": monitor.id, "deleted": True, "deleted_at": monitor.deleted_at.isoformat()}
    return view, f"monitor {monitor.id} deleted (its history is kept)"


def register(groups: Any, command: Command) -> None:
    cmds = noun(groups, "monitors", "what people asked to be told about")
    add = command(
        cmds, "add", cmd_monitors_add, "add a monitor from a sentence (--text) or from fields"
    )
    add.add_argument("--user", required=True, metavar="EMAIL", help="whose monitor it is")
    add.add_argument("--text", help="e.g. 'call me when a new user signs up'")
    add.add_argument("--event", choices=[str(e) for e in EventName], metavar="EVENT")
    add.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="FIELD OP VALUE",
        help="e.g. 'is_admin==true', 'amount > 500' (repeatable)",
    )
    add.add_argument("--metric", choices=[str(m) for m in Metric])
    add.add_argument("--op", choices=list(monitors.METRIC_OPS), help="the metric's comparison")
    add.add_argument("--value", type=float, help="the metric's threshold")
    add.add_argument("--window", type=int, metavar="MINUTES", help="the metric's time window")
    add.add_argument(
        "--object",
        metavar="SLUG_OR_NAME",
        help="the object an object.* metric watches (default: any object)",
    )
    add.add_argument("--channel", choices=CHANNELS, help="default: the user's preferred one")
    add.add_argument(
        "--group-seconds", type=int, metavar="N", help="firings within N seconds are one call"
    )
    add.add_argument(
        "--also",
        action="store_true",
        help="add it even though the user has the same monitor by another channel",
    )
    listing = command(cmds, "list", cmd_monitors_list, "list monitors")
    listing.add_argument("--user", metavar="EMAIL", help="only this person's")
    for name, handler, help_text in (
        ("show", cmd_monitors_show, "a monitor, its check and its history"),
        ("pause", cmd_monitors_pause, "stop watching until resumed"),
        ("resume", cmd_monitors_resume, "watch again (lifts a silence too)"),
        ("silence", cmd_monitors_silence, "keep watching but tell nobody for a while"),
        ("delete", cmd_monitors_delete, "stop and hide a monitor (its history is kept)"),
    ):
        sub = command(cmds, name, handler, help_text)
        sub.add_argument("id", type=int, metavar="ID")
        if name == "silence":
            sub.add_argument("--minutes", type=float, default=60.0, help="default 60")
