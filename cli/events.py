"""`events`: emit an event by hand (to try a monitor) and list the latest ones."""

from __future__ import annotations

import argparse
import json
from typing import Any

from backend.access.audit import Actor
from backend.errors import InvalidInput
from backend.events import reported as events
from backend.read_models import records
from backend.read_models.records import event_record
from cli.output import Command, noun, table

LIST_COLUMNS = ["id", "name", "source", "created_at", "status", "payload", "error"]
#: Characters of a payload or an error shown in the text table (--json has all of it).
SHOWN = 120


def cmd_events_emit(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    try:
        payload = json.loads(args.payload)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"--payload is not valid JSON: {exc}") from None
    event = events.emit(args.type, payload, event_id=args.id, actor=actor)
    return event_record(event).as_json(), f"event {event.id}: {event.name}"


def cmd_events_list(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    found = records.read_events(name=args.type, limit=args.limit, only_failed=args.failed)
    rows = [e.as_json() for e in found]
    text_rows = [
        {
            **row,
            "payload": _cut(json.dumps(row["payload"], sort_keys=True)),
            "error": _cut(row["error"] or ""),
        }
        for row in rows
    ]
    return rows, table(text_rows, LIST_COLUMNS)


def _cut(text: str) -> str:
    # One line per event: an error may span lines (a traceback's message).
    text = " ".join(text.split())
    return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."


def register(groups: Any, command: Command) -> None:
    cmds = noun(groups, "events", "events: emit one by hand, list the latest")
    emit = command(cmds, "emit", cmd_events_emit, "emit an event (any name of the vocabulary)")
    emit.add_argument("type", metavar="TYPE", help="e.g. payment.failed")
    emit.add_argument("--payload", default="{}", metavar="JSON", help="the payload, an object")
    emit.add_argument("--id", default=None, help="its id: the same id is kept once")
    listing = command(cmds, "list", cmd_events_list, "the latest events, newest first")
    listing.add_argument("--type", default=None, metavar="NAME", help="only events of this name")
    listing.add_argument("--limit", type=int, default=50, metavar="N")
    listing.add_argument(
        "--failed", action="store_true", help="only events the dispatcher gave up on"
    )
