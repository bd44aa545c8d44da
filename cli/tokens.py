"""`tokens`: API tokens for calling private objects."""

from __future__ import annotations

import argparse
from typing import Any

from backend.access.audit import Actor
from backend.accounts import tokens
from cli.output import Command, noun


def cmd_tokens_create(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    plain, token = tokens.create_token(email=args.user, name=args.name, actor=actor)
    view = {"token": plain, "prefix": token.prefix, "user": args.user, "name": token.name}
    return view, f"{plain}\n(shown once; send it as 'Authorization: Bearer <token>')"


def register(groups: Any, command: Command) -> None:
    cmds = noun(groups, "tokens", "API tokens for calling private objects")
    token = command(cmds, "create", cmd_tokens_create, "create a token for a user")
    token.add_argument("--user", required=True, metavar="EMAIL")
    token.add_argument("--name", default="", help="what the token is for")
