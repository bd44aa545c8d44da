"""`objects`: durable objects, their versions, deployments, calls and settings."""

from __future__ import annotations

import argparse
import json
from typing import Any

from backend.access.audit import Actor
from backend.background import jobs
from backend.enums import EditIntent, ObjectKind, TaskStatus
from backend.errors import InvalidInput
from backend.metrics import queries
from backend.models import Deployment, ObjectVersion
from backend.objects import deploy as deployments
from backend.objects import runtime, store
from backend.objects.diff import render
from backend.pipeline import modifications, review
from backend.read_models import records
from backend.read_models.object_health import stats_text
from backend.read_models.records import (
    VersionRecord,
    deployment_record,
    object_record,
    parse_status,
    version_record,
)
from cli.evaluate import add_intent, assessment_text
from cli.files import read_file_args
from cli.modifications import echo_progress, start_pipeline
from cli.output import (
    CallFailed,
    Command,
    CommandFailed,
    DeploymentFailed,
    noun,
    table,
)

FILE_HELP = "a file to store; NAME=PATH stores PATH as NAME (repeatable)"

# --- the store: versions ------------------------------------------------------------------


def cmd_objects_create(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    files = read_file_args(args.file)
    owner_id = records.read_user(args.owner).id if args.owner else actor.user_id
    version = store.create_object(
        slug=args.slug,
        name=args.name,
        description=args.description,
        kind=args.kind,
        files=files,
        owner_id=owner_id,
        message=args.message or "Initial version",
        actor=actor,
    )
    obj = records.read_object(args.slug)
    obj.version = version_record(version)
    text = f"created {obj.slug} v{version.number} ({len(version.files)} files)"
    return obj.as_json(), text + _warn(version)


def cmd_objects_edit(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    current = records.read_version(args.slug)
    files = {**(current.file_contents or {}), **read_file_args(args.file)}
    for path in args.remove:
        if path not in files:
            raise InvalidInput(f"{args.slug} v{current.number} has no file {path!r} to remove")
        del files[path]
    version, evaluation = review.save_version(
        args.slug,
        files=files,
        message=args.message or "",
        actor=actor,
        intent=EditIntent(args.intent),
        evaluate=args.evaluate,
        here=True,  # evaluated right here, so the result can be printed
    )
    view = version_record(version).as_json()
    text = f"saved {args.slug} v{version.number}" + _warn(version)
    if evaluation is not None:
        task = jobs.run_here(int(evaluation.id))
        if task.status != TaskStatus.SUCCEEDED:
            raise CommandFailed(view, f"{text}\nthe evaluation failed: {task.error}")
        view["evaluation"] = task.result
        text += "\n" + assessment_text(task.result)
    return view, text


def _warn(version: ObjectVersion) -> str:
    """The warning under "created"/"saved" when the version's code doesn't parse."""
    if not version.syntax_error:
        return ""
    return (
        f"\nwarning: v{version.number} {parse_status(version.syntax_error)} "
        "(it can't be deployed until it parses)"
    )


def cmd_objects_list(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    rows = [o.as_json() for o in records.read_objects(with_code=True)]
    columns = ["slug", "name", "kind", "status", "current_version", "deployed_version", "code"]
    return rows, table(rows, columns)


def cmd_objects_show(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    obj = records.read_object(args.slug, version=args.version, with_version=True, with_files=True)
    version = obj.version
    assert version is not None  # asked for
    files = version.file_contents or {}
    lines = [
        f"{obj.slug}: {obj.name} ({obj.kind}, {obj.status})",
        *([obj.description] if obj.description else []),
        f"version {version.number} of {obj.current_version}, by {version.author}: "
        f"{version.message}",
        "files: " + ", ".join(f"{p} ({len(t.encode())} bytes)" for p, t in files.items()),
        f"code: {parse_status(version.syntax_error)}",
        "api:",
        *(f"  {signature}" for signature in version.api or [_no_api(version)]),
    ]
    return obj.as_json(), "\n".join(lines)


def _no_api(version: VersionRecord) -> str:
    return "(unknown: the code does not parse)" if version.syntax_error else "(no functions)"


def cmd_objects_versions(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    rows = [v.as_json() for v in records.read_versions(args.slug)]
    return rows, table(rows, ["number", "author", "created_at", "message", "code"])


def cmd_objects_diff(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    diffs = records.read_diff(args.slug, args.a, args.b)
    text = render(diffs) or f"v{args.a} and v{args.b} have the same files"
    return [d.to_dict() for d in diffs], text.rstrip("\n")


def cmd_objects_rollback(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    version = store.rollback(args.slug, args.number, actor=actor)
    return version_record(
        version
    ).as_json(), f"rolled {args.slug} back to v{args.number} as v{version.number}"


# --- running: deploy, call, visibility -----------------------------------------------------


def cmd_objects_deploy(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    """Ask for the deploy job and run it here (progress on stderr): no worker is needed."""
    task = deployments.request_deploy(args.slug, actor=actor, number=args.version, here=True)
    deployment = deployments.run_here(int(task.id), echo=echo_progress)
    return _deployment_outcome(args.slug, deployment)


def _deployment_outcome(slug: str, deployment: Deployment) -> tuple[Any, str]:
    """A failed deployment is reported, not raised: it is a recorded outcome, exit 1."""
    view = deployment_record(deployment).as_json()
    headline = f"deployment {deployment.id} of {slug}: {deployment.status}"
    if deployment.status != "live":
        raise DeploymentFailed(view, f"{headline}\n{deployment.logs}")
    return view, f"{headline}\n{deployment.logs}"


def cmd_objects_call(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    try:
        arguments = json.loads(args.args)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"--args is not valid JSON: {exc}") from None
    try:
        value = runtime.call_object(args.slug, args.function, arguments, check_access=False)
    except runtime.ObjectFailed as exc:
        raise CallFailed(exc.result.to_dict(), f"error: {exc}") from None
    return {"result": value}, json.dumps(value, indent=2, default=str)


def cmd_objects_stats(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    stats = queries.object_stats(args.slug, args.since, actor)
    return stats.to_dict(), stats_text(stats)


def cmd_objects_visibility(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    obj = store.set_visibility(args.slug, public=args.visibility == "public", actor=actor)
    return object_record(obj).as_json(), f"{obj.slug} is now {args.visibility}"


# --- the LLM: modify, create from scratch --------------------------------------------------


def cmd_objects_modify(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    modification = modifications.request_modification(
        args.slug, args.prompt, actor=actor, budget_usd=args.budget, here=args.wait
    )
    return start_pipeline(modification, args.wait)


def cmd_objects_create_from_scratch(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    modification = modifications.request_creation(
        slug=args.slug,
        name=args.name,
        description=args.description,
        requirements=args.requirements,
        actor=actor,
        budget_usd=args.budget,
        here=args.wait,
    )
    return start_pipeline(modification, args.wait)


# --- settings: auto-apply, limits ----------------------------------------------------------


def cmd_objects_auto_apply(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    obj = store.set_auto_apply(args.slug, enabled=args.setting == "on", actor=actor)
    how = "apply themselves" if obj.auto_apply else "wait for approval"
    return object_record(obj).as_json(), f"accepted changes to {obj.slug} now {how}"


def cmd_objects_auto_rollback(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    obj = store.set_auto_rollback(args.slug, enabled=args.setting == "on", actor=actor)
    how = "rolls back by itself" if obj.auto_rollback else "is offered back to you"
    return object_record(obj).as_json(), f"a failing new version of {obj.slug} now {how}"


def cmd_objects_limits(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    limits: dict[str, float] = {}
    for item in args.limit:
        name, _, value = item.partition("=")
        try:
            limits[name] = float(value) if "." in value else int(value)
        except ValueError:
            raise InvalidInput(f"limit {item!r} is not NAME=NUMBER") from None
    obj = store.set_limits(args.slug, limits, actor=actor)
    return object_record(obj).as_json(), f"{obj.slug} limits: {obj.limits}"


# --- the parser ----------------------------------------------------------------------------


def register(groups: Any, command: Command) -> None:
    """The commands in the order `objects --help` lists them."""
    cmds = noun(groups, "objects", "durable objects and their versions")
    _register_store(cmds, command)
    _register_running(cmds, command)
    _register_llm(cmds, command)
    _register_settings(cmds, command)


def _register_store(cmds: Any, command: Command) -> None:
    create = command(cmds, "create", cmd_objects_create, "create an object from files")
    create.add_argument("--slug", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--description", default="")
    create.add_argument("--kind", default=ObjectKind.ENDPOINT.value)
    create.add_argument("--file", action="append", required=True, help=FILE_HELP)
    create.add_argument("--owner", metavar="EMAIL")
    create.add_argument("--message")
    edit = command(cmds, "edit", cmd_objects_edit, "save a new version")
    edit.add_argument("slug")
    edit.add_argument("--file", action="append", default=[], help=FILE_HELP)
    edit.add_argument("--remove", action="append", default=[], metavar="PATH")
    edit.add_argument("--message")
    add_intent(
        edit, "refactor: behaviour must stay the same (checked side by side with the parent)"
    )
    edit.add_argument(
        "--no-evaluate", dest="evaluate", action="store_false", help="save without evaluating"
    )
    command(cmds, "list", cmd_objects_list, "list objects")
    show = command(cmds, "show", cmd_objects_show, "show an object and one version")
    show.add_argument("slug")
    show.add_argument("--version", type=int)
    versions = command(cmds, "versions", cmd_objects_versions, "list an object's versions")
    versions.add_argument("slug")
    diff = command(cmds, "diff", cmd_objects_diff, "unified diff between two versions")
    diff.add_argument("slug")
    diff.add_argument("a", type=int)
    diff.add_argument("b", type=int)
    rollback = command(cmds, "rollback", cmd_objects_rollback, "restore an old version")
    rollback.add_argument("slug")
    rollback.add_argument("number", type=int)


def _register_running(cmds: Any, command: Command) -> None:
    deploy = command(cmds, "deploy", cmd_objects_deploy, "test a version and make it live")
    deploy.add_argument("slug")
    deploy.add_argument("--version", type=int, help="default: the current version")
    call = command(cmds, "call", cmd_objects_call, "call a deployed object's function")
    call.add_argument("slug")
    call.add_argument("function")
    call.add_argument("--args", default="{}", help="a JSON object of arguments")
    stats = command(cmds, "stats", cmd_objects_stats, "calls, errors and latency of an object")
    stats.add_argument("slug")
    stats.add_argument("--since", default="1h", help="window: 15m, 1h, 7d (default 1h)")
    visibility = command(
        cmds, "visibility", cmd_objects_visibility, "public objects need no API token"
    )
    visibility.add_argument("slug")
    visibility.add_argument("visibility", choices=["public", "private"])


def _register_llm(cmds: Any, command: Command) -> None:
    modify = command(cmds, "modify", cmd_objects_modify, "ask the LLM for a change")
    modify.add_argument("slug")
    modify.add_argument("--prompt", required=True, help="what should change")
    modify.add_argument("--budget", type=float, metavar="USD", help="LLM budget for this change")
    modify.add_argument("--wait", action="store_true", help="run here and show progress")
    scratch = command(
        cmds,
        "create-from-scratch",
        cmd_objects_create_from_scratch,
        "ask the LLM to write a new object",
    )
    scratch.add_argument("--slug", required=True)
    scratch.add_argument("--name", required=True)
    scratch.add_argument("--description", default="")
    scratch.add_argument("--requirements", required=True)
    scratch.add_argument("--budget", type=float, metavar="USD")
    scratch.add_argument("--wait", action="store_true", help="run here and show progress")


def _register_settings(cmds: Any, command: Command) -> None:
    auto = command(
        cmds, "auto-apply", cmd_objects_auto_apply, "let accepted changes apply themselves"
    )
    auto.add_argument("slug")
    auto.add_argument("setting", choices=["on", "off"])
    rollback = command(
        cmds,
        "auto-rollback",
        cmd_objects_auto_rollback,
        "let a new version that fails noticeably more than the one before it roll back by itself",
    )
    rollback.add_argument("slug")
    rollback.add_argument("setting", choices=["on", "off"])
    limits = command(cmds, "limits", cmd_objects_limits, "set this object's sandbox limits")
    limits.add_argument("slug")
    limits.add_argument(
        "limit",
        nargs="+",
        metavar="NAME=NUMBER",
        help="cpu_seconds, wall_seconds, memory_mb or output_bytes",
    )
