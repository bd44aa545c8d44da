"""Command line: `python -m backend ...`, a thin door onto the backend services.

Every command brings the database schema up to date first and on bad input exits with
status 2 and one line on stderr, having written nothing. A command holds no session: each
action it calls owns its transaction, each read model opens its own session.
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import json
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from backend.enums import Channel
from backend.errors import ProductError
from cli.output import EXIT_BAD_INPUT, Command, Handler, Outcome, Parser

if TYPE_CHECKING:
    from backend.access.audit import Actor

#: The top-level commands in the order `--help` lists them: the module that adds each one (its
#: subcommands and their handlers) and its line in `--help`. Only the module of the command
#: given is imported: the others would import services this run never calls.
NOUNS: dict[str, tuple[str, str]] = {
    "users": ("cli.users", "people who use the product"),
    "objects": ("cli.objects", "durable objects and their versions"),
    "modifications": ("cli.modifications", "requested changes and their evaluations"),
    "evaluate": ("cli.evaluate", "score a version against its parent"),
    "tokens": ("cli.tokens", "API tokens for calling private objects"),
    "keys": ("cli.keys", "keys of event sources (other systems reporting events)"),
    "events": ("cli.events", "events: emit one by hand, list the latest"),
    "parse": ("cli.commands", "understand a spoken or texted command (JSON)"),
    "monitors": ("cli.monitors", "what people asked to be told about"),
    "notifications": ("cli.notifications", "messages sent to people and their delivery"),
    "llm": ("cli.llm", "the LLM server"),
    "db": ("cli.database", "the database schema"),
}


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


def build_parser(nouns: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The command line's parser, with every top-level command's subcommands, or those of
    `nouns` only: the others are there by name and help line, enough for `--help` and to
    tell a command's name from a mistake, and take no arguments of their own."""
    parser = Parser(
        prog="python -m backend", parents=[_common_flags(defaults=True)], description=__doc__
    )
    groups = parser.add_subparsers(dest="group", required=True, parser_class=Parser)
    command = _command_adder(_common_flags(defaults=False))
    loaded = set(NOUNS if nouns is None else nouns)
    for name, (module, help_text) in NOUNS.items():
        if name in loaded:
            importlib.import_module(module).register(groups, command)
        else:
            groups.add_parser(name, help=help_text, add_help=False)
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """`argv` parsed by the parser of the command it names, found first by one that knows the
    commands' names only (top-level `--help` and usage errors end there, having imported no
    service)."""
    named, _rest = build_parser(nouns=()).parse_known_args(argv)
    return build_parser(nouns=[named.group]).parse_args(argv)


def ready_to_act() -> None:
    """What every door does before it handles a command: subscribe the assistant's reports
    to the events (a change or a deploy that ends here is told to whoever asked for it by
    phone) and register the runner that hands jobs to Celery, or runs them here (`--wait`)."""
    import backend.assistant  # noqa: F401
    import tasks.dispatch  # noqa: F401


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
    from backend.access.audit import Actor
    from backend.accounts import users

    if as_user:
        return users.actor_for_email(as_user, Channel.CLI)
    return Actor.operator(f"cli:{getpass.getuser()}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    ready_to_act()
    from backend import db

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
