"""Command line: `python -m backend ...`, a thin door onto the backend services.

Every command brings the database schema up to date first and on bad input exits with
status 2 and one line on stderr, having written nothing. A command holds no session: each
action it calls owns its transaction, each read model opens its own session.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Sequence
from typing import Any

import backend.assistant  # noqa: F401  (subscribes the assistant's reports to events)
import tasks.dispatch  # noqa: F401  (registers the job runner the backend starts jobs with)
from backend import db
from backend.access.audit import Actor
from backend.accounts import users
from backend.enums import Channel
from backend.errors import ProductError
from cli import (
    commands,
    database,
    evaluate,
    events,
    keys,
    llm,
    modifications,
    monitors,
    notifications,
    objects,
    tokens,
)
from cli import users as user_commands
from cli.output import EXIT_BAD_INPUT, Command, Handler, Outcome, Parser

# Each noun's module adds its commands; this order is the order `--help` lists them in.
NOUNS = (
    user_commands,
    objects,
    modifications,
    evaluate,
    tokens,
    keys,
    events,
    commands,
    monitors,
    notifications,
    llm,
    database,
)


def _common_flags(*, defaults: bool) -> argparse.ArgumentParser:
    """`--json` and `--as`, allowed before the command's name and after it.

    Only the top-level parser has defaults: a subcommand's parser would otherwise set them
    again and silently undo `--as EMAIL` given before the command's name.
    """
    common = argparse.ArgumentParser(add_help=False)
    unset = {} if defaults else {"default": argparse.SUPPRESS}
    common.add_argument("--json", action="store_true", help="print machine-readable JSON", **unset)
    common.add_argument("--as", dest="as_user", metavar="EMAIL", help="act as this user", **unset)
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python -m backend", parents=[_common_flags(defaults=True)], description=__doc__
    )
    groups = parser.add_subparsers(dest="group", required=True, parser_class=Parser)
    command = _command_adder(_common_flags(defaults=False))
    for noun in NOUNS:
        noun.register(groups, command)
    return parser


def _command_adder(common: argparse.ArgumentParser) -> Command:
    """Every command takes the common flags too, so `--json` may come after its name."""

    def command(group: Any, name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        sub = group.add_parser(name, parents=[common], help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    return command


def _actor(as_user: str | None) -> Actor:
    """With --as, that person with their rights; without, the machine's operator, who holds
    the database anyway and so has every right."""
    if as_user:
        return users.actor_for_email(as_user, Channel.CLI)
    return Actor.operator(f"cli:{getpass.getuser()}")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        db.upgrade_database()
        actor = _actor(args.as_user)
        data, text = args.handler(args, actor)
    except Outcome as outcome:
        if args.json:
            print(json.dumps(outcome.data, indent=2, default=str))
        else:
            print(outcome.text, file=sys.stderr)
        return outcome.status
    except ProductError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(json.dumps(data, indent=2, default=str) if args.json else text)
    return 0
