"""`db`: the database schema."""

from __future__ import annotations

import argparse
from typing import Any

from backend import db
from backend.access.audit import Actor
from cli.output import Command, noun


def cmd_db_upgrade(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    """Every command upgrades the schema before it runs, so this one only reports where it is."""
    revision = db.current_revision()
    return {"revision": revision}, f"database schema is at {revision}"


def register(groups: Any, command: Command) -> None:
    cmds = noun(groups, "db", "the database schema")
    command(cmds, "upgrade", cmd_db_upgrade, "apply pending migrations")
