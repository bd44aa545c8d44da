"""`parse`: what the product understands of a spoken or texted command, as JSON.

`parse "TEXT"` prints one Command; `parse --batch` reads one utterance a line from stdin and
prints one compact JSON object a line, in the same order (a blank line is an unknown
command), so a corpus can be checked in one run.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from backend.access.audit import Actor
from backend.commands import parse_command
from backend.errors import InvalidInput
from cli.output import Command


def cmd_parse(args: argparse.Namespace, _actor: Actor) -> tuple[Any, str]:
    if args.batch:
        if args.text is not None:
            raise InvalidInput("give either TEXT or --batch (utterances on stdin), not both")
        lines = sys.stdin.read().splitlines()
        data = [parse_command(line).model_dump(mode="json") for line in lines]
        return data, "\n".join(json.dumps(item, separators=(",", ":")) for item in data)
    if args.text is None:
        raise InvalidInput('say what to parse: parse "TEXT", or parse --batch < FILE')
    data = parse_command(args.text).model_dump(mode="json")
    return data, json.dumps(data, indent=2)


def register(groups: Any, command: Command) -> None:
    parse = command(groups, "parse", cmd_parse, "understand a spoken or texted command (JSON)")
    parse.add_argument("text", nargs="?", metavar="TEXT", help="what the person said")
    parse.add_argument("--batch", action="store_true", help="read one utterance a line from stdin")
