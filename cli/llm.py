"""`llm`: the LLM server."""

from __future__ import annotations

import argparse
from typing import Any

from backend.access.audit import Actor
from backend.llm.check import check_server
from cli.output import Command, Outcome, noun


def cmd_llm_check(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    """Exit status 1 when the configured LLM_MODE fails for some role."""
    report = check_server(all_modes=args.all_modes)
    if not report.ok:
        raise Outcome(report.to_dict(), report.text())
    return report.to_dict(), report.text()


def register(groups: Any, command: Command) -> None:
    cmds = noun(groups, "llm", "the LLM server")
    check = command(
        cmds,
        "check",
        cmd_llm_check,
        "ask the configured LLM server once per role in LLM_MODE and say what worked",
    )
    check.add_argument(
        "--all-modes",
        action="store_true",
        help="also try each other LLM_MODE (tools, json_schema, json, md_json) once per model",
    )
