"""`monitors`: what people asked to be told about; add from a sentence or from fields, list,
show with history, pause, resume, silence, delete."""

from __future__ import annotations

import argparse
from typing import Any

from sqlmodel import Session

from backend.access.audit import Actor
from backend.accounts import users
from backend.enums import EventName, Metric
from backend.errors import InvalidInput, NotFound
from backend.monitoring import monitors
from backend.monitoring.fields import form_from_fields, parse_filter
from backend.read_models import monitors as views
from cli.output import Command, noun, table

LIST_COLUMNS = ["id", "owner", "state", "channel", "watches", "firings", "last_fired_at"]
CHANNELS = [str(c) for c in monitors.NOTIFY_CHANNELS]


def _summary(session: Session, monitor_id: int) -> dict[str, Any]:
    found = views.summaries(session, monitor_ids=[monitor_id])
    if not found:
        raise NotFound(f"no monitor {monitor_id}")
    return views.monitor_view(found[0])


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


def cmd_monitors_add(session: Session, args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    owner = users.get_user_by_email(session, args.user)
    if args.text is not None:
        if _fields_given(args):
            raise InvalidInput("give --text or the fields (--event/--metric ...), not both")
        form = monitors.preview(args.text, owner)
        form.pop("confirmation")
        if args.channel:
            form["channel"] = args.channel
    else:
        form = form_from_fields(
            owner,
            event=args.event,
            filters=[parse_filter(text) for text in args.filter],
            metric=args.metric,
            op=args.op,
            value=args.value,
            window_minutes=args.window,
            channel=args.channel,
            object_name=args.object,
        )
    monitor = monitors.create_monitor(
        session, owner_id=owner.id, actor=actor, group_seconds=args.group_seconds, **form
    )
    session.flush()
    return _summary(session, monitor.id), f"monitor {monitor.id}: {monitors.confirmation(form)}"


def cmd_monitors_list(session: Session, args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    owner_id = users.get_user_by_email(session, args.user).id if args.user else None
    rows = [views.monitor_view(s) for s in views.summaries(session, owner_id=owner_id)]
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


def cmd_monitors_show(session: Session, args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    view = views.history_view(views.history(session, args.id))
    return view, _history_text(view)


def _changed(session: Session, monitor_id: int, done: str) -> tuple[Any, str]:
    view = _summary(session, monitor_id)
    return view, f"monitor {monitor_id} {done} (now {view['state']})"


def cmd_monitors_pause(session: Session, args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    monitors.pause(session, args.id, actor=actor)
    return _changed(session, args.id, "paused")


def cmd_monitors_resume(
    session: Session, args: argparse.Namespace, actor: Actor
) -> tuple[Any, str]:
    monitors.resume(session, args.id, actor=actor)
    return _changed(session, args.id, "resumed")


def cmd_monitors_silence(
    session: Session, args: argparse.Namespace, actor: Actor
) -> tuple[Any, str]:
    monitor = monitors.silence(session, args.id, minutes=args.minutes, actor=actor)
    until = monitor.silenced_until.isoformat(timespec="seconds") if monitor.silenced_until else ""
    return _changed(session, args.id, f"silenced until {until}")


def cmd_monitors_delete(
    session: Session, args: argparse.Namespace, actor: Actor
) -> tuple[Any, str]:
    monitor = monitors.delete(session, args.id, actor=actor)
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
