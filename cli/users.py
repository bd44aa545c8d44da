"""`users`: the people who use the product."""

from __future__ import annotations

import argparse
from typing import Any

from sqlmodel import Session

from backend import users
from backend.audit import Actor
from backend.enums import Channel
from cli.output import Command, noun, table

NOTIFY_CHANNELS = [c.value for c in (Channel.EMAIL, Channel.SMS, Channel.VOICE, Channel.SLACK)]


def cmd_users_add(session: Session, args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    user = users.add_user(
        session,
        name=args.name,
        email=args.email,
        phone=args.phone,
        is_admin=args.admin,
        preferred_channel=Channel(args.channel),
        actor=actor,
    )
    view = _user_view(user)
    return view, f"added user {user.email} (id {user.id})"


def cmd_users_list(session: Session, args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    rows = [_user_view(u) for u in users.list_users(session)]
    return rows, table(rows, ["id", "name", "email", "phone", "is_admin", "preferred_channel"])


def _user_view(user) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "phone": user.phone,
        "is_admin": user.is_admin,
        "preferred_channel": user.preferred_channel,
    }


def register(groups: Any, command: Command) -> None:
    cmds = noun(groups, "users", "people who use the product")
    add = command(cmds, "add", cmd_users_add, "add a user")
    add.add_argument("--name", required=True)
    add.add_argument("--email", required=True)
    add.add_argument("--phone", help="E.164, like +15551234567")
    add.add_argument("--admin", action="store_true")
    add.add_argument(
        "--channel",
        default=Channel.EMAIL.value,
        choices=NOTIFY_CHANNELS,
        help="preferred notification channel",
    )
    command(cmds, "list", cmd_users_list, "list users")
