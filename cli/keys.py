"""`keys`: event sources, the other systems allowed to report events, and their keys."""

from __future__ import annotations

import argparse
from typing import Any

from backend.access.audit import Actor
from backend.events import sources as event_sources
from backend.read_models import records
from backend.read_models.records import event_source_record
from cli.output import Command, noun, table

LIST_COLUMNS = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at"]


def cmd_keys_create(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    plain, source = event_sources.create_source(args.source, actor=actor)
    view = {"key": plain, "source": source.name, "prefix": source.prefix}
    note = "(shown once; the source reports with 'Authorization: Bearer <key>' to /api/events)"
    return view, f"{plain}\n{note}"


def cmd_keys_list(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    rows = [s.as_json() for s in records.read_event_sources()]
    return rows, table(rows, LIST_COLUMNS)


def cmd_keys_revoke(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    source = event_sources.revoke_source(args.source, actor=actor)
    return event_source_record(source).as_json(), f"revoked the key of event source {source.name}"


def register(groups: Any, command: Command) -> None:
    cmds = noun(groups, "keys", "keys of event sources (other systems reporting events)")
    create = command(cmds, "create", cmd_keys_create, "create an event source and its key")
    create.add_argument("--source", required=True, metavar="NAME", help="letters, digits, - _")
    command(cmds, "list", cmd_keys_list, "list event sources (never their keys)")
    revoke = command(cmds, "revoke", cmd_keys_revoke, "revoke a source's key, for good")
    revoke.add_argument("source", metavar="NAME", help="the source's name (or id)")
