"""`modifications`: requested changes and their evaluations.

`start_pipeline` also serves `objects modify` and `objects create-from-scratch`, which request
a modification and then run it the same way `modifications resume` does.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from backend.access.audit import Actor
from backend.background import jobs
from backend.enums import ModificationStatus, TaskStatus
from backend.models import Modification
from backend.objects import deploy as deployments
from backend.objects.diff import render
from backend.pipeline import modifications
from backend.read_models import records
from backend.read_models.records import deployment_record, modification_record
from cli.output import Command, CommandFailed, noun, table


def start_pipeline(modification: Modification, wait: bool) -> tuple[Any, str]:
    """Report the job the backend started, or, with --wait, run it here (progress on stderr).

    The modification was requested with `here=wait`, so with --wait no worker takes it.
    """
    modification_id, task_id = int(modification.id), int(modification.task_id)
    if not wait:
        view = {"modification_id": modification_id, "task_id": task_id}
        return view, (
            f"modification #{modification_id} started as task #{task_id}; "
            f"see 'modifications show {modification_id}'"
        )
    task = jobs.run_here(task_id, echo=echo_progress)
    found = records.read_modification(modification_id)
    view = found.as_json()
    if task.status == TaskStatus.FAILED:
        raise CommandFailed(view, f"modification #{modification_id} failed: {task.error}")
    text = f"modification #{modification_id}: {found.status}"
    if found.error:
        text += f" ({found.error})"
    return view, text


def echo_progress(percent: int, message: str) -> None:
    """A job run here reports its progress on stderr (stdout is the answer, e.g. JSON)."""
    print(f"[{percent:3d}%] {message}", file=sys.stderr, flush=True)


def cmd_modifications_list(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    found = records.read_modifications(status=args.status, slug=args.object)
    rows = [m.as_json() for m in found]
    return rows, table(rows, ["id", "kind", "slug", "status", "attempts", "prompt"])


def cmd_modifications_show(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    modification = records.read_modification(args.id, in_full=True)
    view = modification.as_json()
    lines = [
        f"#{modification.id} {modification.kind} {modification.slug}: {modification.status}",
        f"prompt: {modification.prompt}",
    ]
    if modification.plan:
        lines.append(f"plan: {modification.plan.get('summary', '')}")
    for evaluation in view["evaluations"]:
        scores = ", ".join(f"{k} {v:.2f}" for k, v in evaluation["scores"].items())
        lines.append(f"attempt {evaluation['attempt']}: {evaluation['verdict']} ({scores})")
    if modification.error:
        lines.append(f"note: {modification.error}")
    if modification.proposed_files and modification.status == ModificationStatus.AWAITING_APPROVAL:
        lines.append(render(modification.proposed).rstrip("\n"))
    return view, "\n".join(lines)


def cmd_modifications_approve(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    """Approve (one step with asking for the deployment); with --deploy, run that job here."""
    modification, task = modifications.approve(args.id, actor=actor, deploy=args.deploy, here=True)
    record = modification_record(modification)
    text = f"modification #{args.id} applied to {modification.slug}"
    if task is not None:
        deployment = deployments.run_here(int(task.id), echo=echo_progress)
        record.deployment = deployment_record(deployment)
        text += f"; deployment {deployment.id}: {deployment.status}"
    return record.as_json(), text


def cmd_modifications_reject(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    modification = modifications.reject(args.id, args.reason, actor=actor)
    return modification_record(modification).as_json(), f"modification #{args.id} rejected"


def cmd_modifications_resume(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    modification = modifications.resume(
        args.id, budget_usd=args.budget, actor=actor, here=args.wait
    )
    return start_pipeline(modification, args.wait)


def register(groups: Any, command: Command) -> None:
    cmds = noun(groups, "modifications", "requested changes and their evaluations")
    listing = command(cmds, "list", cmd_modifications_list, "list modifications, newest first")
    listing.add_argument("--status", choices=[s.value for s in ModificationStatus])
    listing.add_argument("--object", metavar="SLUG")
    shown = command(cmds, "show", cmd_modifications_show, "a modification and its attempts")
    shown.add_argument("id", type=int)
    approve = command(cmds, "approve", cmd_modifications_approve, "apply an accepted change")
    approve.add_argument("id", type=int)
    approve.add_argument("--deploy", action="store_true", help="deploy the new version too")
    reject = command(cmds, "reject", cmd_modifications_reject, "turn a change down")
    reject.add_argument("id", type=int)
    reject.add_argument("--reason", required=True)
    resume = command(cmds, "resume", cmd_modifications_resume, "continue with a higher budget")
    resume.add_argument("id", type=int)
    resume.add_argument("--budget", type=float, required=True, metavar="USD")
    resume.add_argument("--wait", action="store_true")
