"""`evaluate`: score a version against its parent."""

from __future__ import annotations

import argparse
from typing import Any

from backend.access.audit import Actor
from backend.enums import EditIntent
from backend.pipeline.review import evaluate_version
from cli.output import Command, assessment_text


def cmd_evaluate(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    intent = EditIntent(args.intent) if args.intent else None  # None: the version's own
    assessment, evaluation = evaluate_version(args.slug, args.version, intent=intent)
    report = {**assessment.to_dict(), "evaluation_id": evaluation.id}
    return report, assessment_text(report)


def add_intent(
    parser: argparse.ArgumentParser, help_text: str, default: str | None = EditIntent.CHANGE.value
) -> None:
    """`--intent change|refactor`, shared with `objects edit`."""
    parser.add_argument(
        "--intent", choices=[i.value for i in EditIntent], default=default, help=help_text
    )


def register(groups: Any, command: Command) -> None:
    evaluate = command(groups, "evaluate", cmd_evaluate, "score a version against its parent")
    evaluate.add_argument("slug")
    evaluate.add_argument("--version", type=int)
    add_intent(
        evaluate,
        "refactor: behaviour must stay the same (compared side by side with the parent); "
        "default: the intent the version was saved with",
        default=None,
    )
