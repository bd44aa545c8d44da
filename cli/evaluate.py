"""`evaluate`: score a version against its parent."""

from __future__ import annotations

import argparse
from typing import Any

from backend.access.audit import Actor
from backend.enums import EditIntent
from backend.pipeline.review import evaluate_version
from backend.reward.highlights import highlight_lines
from cli.output import Command


def cmd_evaluate(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    intent = EditIntent(args.intent) if args.intent else None  # None: the version's own
    assessment, evaluation = evaluate_version(args.slug, args.version, intent=intent)
    report = {**assessment.to_dict(), "evaluation_id": evaluation.id}
    return report, assessment_text(report)


def assessment_text(report: dict[str, Any]) -> str:
    """An evaluation's verdict, its scores against the thresholds, the reasons and feedback."""
    lines = [
        f"verdict: {report['verdict']} (overall {report['overall_score']:.2f})",
        *(
            f"  {name}: {dim['score']:.2f} (threshold {report['thresholds'][name]:.2f})"
            for name, dim in report["dimensions"].items()
        ),
    ]
    for name, dim in report["dimensions"].items():
        lines += [f"  - {name}: {reason}" for reason in dim["reasons"]]
    found = report.get("highlights") or {}
    lines += [f"  {line}" for line in highlight_lines(found)]
    lines += [f"warning: {warning}" for warning in found.get("warnings", [])]
    if report["verdict"] != "accept":
        lines.append(f"feedback: {report['feedback']}")
    return "\n".join(lines)


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
