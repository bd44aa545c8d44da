"""`notifications`: the messages the product sent people, and how their delivery went."""

from __future__ import annotations

import argparse
from typing import Any

from backend.access.audit import Actor
from backend.enums import Channel, NotificationStatus
from backend.errors import InvalidInput
from backend.read_models import notifications
from cli.output import Command, noun, table

LIST_COLUMNS = [
    "id",
    "created_at",
    "channel",
    "target",
    "purpose",
    "status",
    "attempts",
    "monitor_id",
    "error",
]


def cmd_notifications_list(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    if args.limit < 1:
        raise InvalidInput("--limit is at least 1")
    # A member (--as) sees their own; the operator everybody's.
    found = notifications.read_notification_records(
        actor, status=args.status, channel=args.channel, limit=args.limit
    )
    rows = [n.as_json() for n in found]
    return rows, table(rows, LIST_COLUMNS)


def register(groups: Any, command: Command) -> None:
    cmds = noun(groups, "notifications", "messages sent to people and their delivery")
    listing = command(cmds, "list", cmd_notifications_list, "list notifications, newest first")
    listing.add_argument("--status", choices=[str(s) for s in NotificationStatus])
    listing.add_argument("--channel", choices=[str(c) for c in Channel])
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
