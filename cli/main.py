"""Command line: `python -m backend ...`, a thin door onto the backend services.

Every command brings the database schema up to date first, runs in one transaction, and on
bad input exits with status 2 and one line on stderr, having written nothing.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from sqlmodel import Session

from backend import db, jobs, tokens, users
from backend.audit import Actor
from backend.enums import Channel, EditIntent, ModificationStatus, ObjectKind
from backend.errors import InvalidInput, ProductError
from backend.objects import deploy as deployments
from backend.objects import runtime, store
from backend.objects.diff import render
from backend.objects.views import object_view, version_view
from backend.pipeline import modifications
from backend.pipeline.review import evaluate_version
from tasks import pipeline as pipeline_jobs
from tasks.base import Job, run_job

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"error: {message} (see '{self.prog} --help')\n")


def read_file_args(specs: Sequence[str]) -> dict[str, str]:
    """`--file main.py` stores ./main.py as main.py; `--file lib/x.py=src/x.py` names it."""
    files: dict[str, str] = {}
    for spec in specs:
        target, _, source = spec.rpartition("=") if "=" in spec else (None, "", spec)
        path = Path(source)
        if not path.is_file():
            raise InvalidInput(f"file {source!r} not found")
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(f"file {source!r} is not UTF-8 text") from None
        files[target or path.name] = text
    return files


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    if not rows:
        return "(none)"
    cells = [[("" if row.get(c) is None else str(row.get(c))) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(line.rstrip() for line in lines)


# --- users ---------------------------------------------------------------------------------


def cmd_users_add(session: Session, args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    user = users.add_user(
        session,
        name=args.name,
        email=args.email,
        phone=args.phone,
        is_admin=args.admin,
        preferred_channel=Channel(args.channel),
        actor=actor,
    )
    view = _user_view(user)
    return view, f"added user {user.email} (id {user.id})"


def cmd_users_list(session: Session, args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    rows = [_user_view(u) for u in users.list_users(session)]
    return rows, _table(rows, ["id", "name", "email", "phone", "is_admin", "preferred_channel"])


def _user_view(user) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "phone": user.phone,
        "is_admin": user.is_admin,
        "preferred_channel": user.preferred_channel,
    }


# --- objects -------------------------------------------------------------------------------


def cmd_objects_create(session: Session, args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    files = read_file_args(args.file)
    owner_id = users.get_user_by_email(session, args.owner).id if args.owner else actor.user_id
    version = store.create_object(
        session,
        slug=args.slug,
        name=args.name,
        description=args.description,
        kind=args.kind,
        files=files,
        owner_id=owner_id,
        message=args.message or "Initial version",
        actor=actor,
    )
    obj = store.get_object(session, args.slug)
    view = {**object_view(obj), "version": version_view(version)}
    return view, f"created {obj.slug} v{version.number} ({len(version.files)} files)" + _warn(
        version
    )


def cmd_objects_edit(session: Session, args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    current = store.get_version(session, args.slug)
    files = {**current.files, **read_file_args(args.file)}
    for path in args.remove:
        if path not in files:
            raise InvalidInput(f"{args.slug} v{current.number} has no file {path!r} to remove")
        del files[path]
    version = store.edit_object(
        session, args.slug, files=files, message=args.message or "", actor=actor
    )
    view, text = version_view(version), f"saved {args.slug} v{version.number}" + _warn(version)
    if args.evaluate:
        session.commit()
        assessment, _ = evaluate_version(args.slug, version.number, intent=EditIntent(args.intent))
        view["evaluation"] = assessment.to_dict()
        text += "\n" + _assessment_text(assessment.to_dict())
    return view, text


def cmd_objects_list(session: Session, args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    rows = [object_view(o) for o in store.list_objects(session)]
    columns = ["slug", "name", "kind", "status", "current_version", "deployed_version"]
    return rows, _table(rows, columns)


def cmd_objects_show(session: Session, args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    obj = store.get_object(session, args.slug)
    version = store.get_version(session, args.slug, args.version)
    view = {**object_view(obj), "version": version_view(version, with_files=True)}
    lines = [
        f"{obj.slug}: {obj.name} ({obj.kind}, {obj.status})",
        *([obj.description] if obj.description else []),
        f"version {version.number} of {obj.current_version}, by {version.author}: "
        f"{version.message}",
        "files: " + ", ".join(f"{p} ({len(t.encode())} bytes)" for p, t in version.files.items()),
        "api:",
        *(f"  {signature}" for signature in version_view(version)["api"] or ["(no functions)"]),
    ]
    if version.syntax_error:
        lines.append(f"syntax error: {version.syntax_error}")
    return view, "\n".join(lines)


def cmd_objects_versions(
    session: Session, args: argparse.Namespace, actor: Actor
) -> tuple[Any, str]:
    rows = [version_view(v) for v in store.list_versions(session, args.slug)]
    return rows, _table(rows, ["number", "author", "created_at", "message"])


def cmd_objects_diff(session: Session, args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    diffs = store.diff_versions(session, args.slug, args.a, args.b)
    text = render(diffs) or f"v{args.a} and v{args.b} have the same files"
    return [d.to_dict() for d in diffs], text.rstrip("\n")


def cmd_objects_rollback(
    session: Session, args: argparse.Namespace, actor: Actor
) -> tuple[Any, str]:
    version = store.rollback(session, args.slug, args.number, actor=actor)
    return version_view(version), f"rolled {args.slug} back to v{args.number} as v{version.number}"


def cmd_objects_visibility(
    session: Session, args: argparse.Namespace, actor: Actor
) -> tuple[Any, str]:
    obj = store.set_visibility(session, args.slug, public=args.visibility == "public", actor=actor)
    return object_view(obj), f"{obj.slug} is now {args.visibility}"


def cmd_objects_limits(session: Session, args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    limits: dict[str, float] = {}
    for item in args.limit:
        name, _, value = item.partition("=")
        try:
            limits[name] = float(value) if "." in value else int(value)
        except ValueError:
            raise InvalidInput(f"limit {item!r} is not NAME=NUMBER") from None
    obj = store.set_limits(session, args.slug, limits, actor=actor)
    return object_view(obj), f"{obj.slug} limits: {obj.limits}"


def cmd_objects_auto_apply(
    session: Session, args: argparse.Namespace, actor: Actor
) -> tuple[Any, str]:
    obj = store.set_auto_apply(session, args.slug, enabled=args.setting == "on", actor=actor)
    how = "apply themselves" if obj.auto_apply else "wait for approval"
    return object_view(obj), f"accepted changes to {obj.slug} now {how}"


def _deployment_view(deployment) -> dict[str, Any]:
    return {
        "id": deployment.id,
        "status": deployment.status,
        "logs": deployment.logs,
        "deployed_by": deployment.deployed_by,
        "created_at": deployment.created_at.isoformat(),
    }


def _deployment_outcome(slug: str, deployment) -> tuple[Any, str]:
    """A failed deployment is reported, not raised: it is a recorded outcome, exit 1."""
    view = _deployment_view(deployment)
    headline = f"deployment {deployment.id} of {slug}: {deployment.status}"
    if deployment.status != "live":
        raise DeploymentFailed(view, f"{headline}\n{deployment.logs}")
    return view, f"{headline}\n{deployment.logs}"


def cmd_objects_deploy(session: Session, args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    session.commit()  # deploy runs its own transactions
    deployment = deployments.deploy(args.slug, actor=actor, number=args.version)
    return _deployment_outcome(args.slug, deployment)


def cmd_objects_call(session: Session, args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    try:
        arguments = json.loads(args.args)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"--args is not valid JSON: {exc}") from None
    try:
        value = runtime.call_object(args.slug, args.function, arguments, check_access=False)
    except runtime.ObjectFailed as exc:
        raise CallFailed(exc.result.to_dict(), f"error: {exc}") from None
    return {"result": value}, json.dumps(value, indent=2, default=str)


def cmd_tokens_create(session: Session, args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    plain, token = tokens.create_token(session, email=args.user, name=args.name, actor=actor)
    view = {"token": plain, "prefix": token.prefix, "user": args.user, "name": token.name}
    return view, f"{plain}\n(shown once; send it as 'Authorization: Bearer <token>')"


def _assessment_text(report: dict[str, Any]) -> str:
    lines = [
        f"verdict: {report['verdict']} (overall {report['overall_score']:.2f})",
        *(
            f"  {name}: {dim['score']:.2f} (threshold {report['thresholds'][name]:.2f})"
            for name, dim in report["dimensions"].items()
        ),
    ]
    for name, dim in report["dimensions"].items():
        lines += [f"  - {name}: {reason}" for reason in dim["reasons"]]
    if report["verdict"] != "accept":
        lines.append(f"feedback: {report['feedback']}")
    return "\n".join(lines)


def cmd_evaluate(session: Session, args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    session.commit()
    assessment, evaluation = evaluate_version(
        args.slug, args.version, intent=EditIntent(args.intent)
    )
    report = {**assessment.to_dict(), "evaluation_id": evaluation.id}
    return report, _assessment_text(report)


def _modification_view(modification) -> dict[str, Any]:
    return {
        "id": modification.id,
        "kind": modification.kind,
        "slug": modification.slug,
        "status": modification.status,
        "prompt": modification.prompt,
        "attempts": modification.attempts,
        "plan": modification.plan,
        "proposed_files": sorted(modification.proposed_files or {}),
        "error": modification.error,
        "rejection_reason": modification.rejection_reason,
        "cost_usd": round(modification.cost_usd, 6),
        "budget_usd": modification.budget_usd,
        "created_at": modification.created_at.isoformat(),
    }


def _start(modification_id: int, wait: bool) -> tuple[Any, str]:
    """Run the pipeline here (--wait, progress on stderr) or as a background job."""
    params = {"modification_id": modification_id}
    if not wait:
        task_id = pipeline_jobs.start(modification_id)
        view = {"modification_id": modification_id, "task_id": task_id}
        return view, (
            f"modification #{modification_id} started as task #{task_id}; "
            f"see 'modifications show {modification_id}'"
        )
    with db.session_scope() as session:
        task_id = jobs.create_task(session, pipeline_jobs.KIND, params).id

    def job(job: Job) -> dict[str, Any]:
        def progress(percent: int, message: str) -> None:
            job.progress(percent, message)
            print(f"[{percent:3d}%] {message}", file=sys.stderr, flush=True)

        return pipeline_jobs.run(job, progress)

    try:
        run_job(task_id, job)
    except ProductError as exc:
        with db.session_scope() as session:
            view = _modification_view(modifications.get_modification(session, modification_id))
        raise CommandFailed(view, f"modification #{modification_id} failed: {exc}") from None
    with db.session_scope() as session:
        modification = modifications.get_modification(session, modification_id)
        view = _modification_view(modification)
    text = f"modification #{modification_id}: {modification.status}"
    if modification.error:
        text += f" ({modification.error})"
    return view, text


def cmd_objects_modify(session: Session, args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    session.commit()
    modification = modifications.request_modification(
        args.slug, args.prompt, actor=actor, budget_usd=args.budget
    )
    return _start(modification.id, args.wait)


def cmd_objects_create_from_scratch(
    session: Session, args: argparse.Namespace, actor: Actor
) -> tuple[Any, str]:
    session.commit()
    modification = modifications.request_creation(
        slug=args.slug,
        name=args.name,
        description=args.description,
        requirements=args.requirements,
        actor=actor,
        budget_usd=args.budget,
    )
    return _start(modification.id, args.wait)


def cmd_modifications_list(
    session: Session, args: argparse.Namespace, actor: Actor
) -> tuple[Any, str]:
    rows = [
        _modification_view(m)
        for m in modifications.list_modifications(session, status=args.status, slug=args.object)
    ]
    return rows, _table(rows, ["id", "kind", "slug", "status", "attempts", "prompt"])


def cmd_modifications_show(
    session: Session, args: argparse.Namespace, actor: Actor
) -> tuple[Any, str]:
    modification = modifications.get_modification(session, args.id)
    view = _modification_view(modification)
    view["evaluations"] = [
        {
            "attempt": e.attempt,
            "verdict": e.verdict,
            "overall_score": e.overall_score,
            "scores": {
                "preference": e.preference_score,
                "constraints": e.constraints_score,
                "factuality": e.factuality_score,
            },
            "feedback": e.feedback,
        }
        for e in modifications.evaluations_of(session, args.id)
    ]
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
        lines.append(render(modifications.proposed_diff(session, modification)).rstrip("\n"))
    return view, "\n".join(lines)


def cmd_modifications_approve(
    session: Session, args: argparse.Namespace, actor: Actor
) -> tuple[Any, str]:
    session.commit()
    modification, deployment = modifications.approve(args.id, actor=actor, deploy=args.deploy)
    view = _modification_view(modification)
    text = f"modification #{args.id} applied to {modification.slug}"
    if deployment is not None:
        view["deployment"] = _deployment_view(deployment)
        text += f"; deployment {deployment.id}: {deployment.status}"
    return view, text


def cmd_modifications_reject(
    session: Session, args: argparse.Namespace, actor: Actor
) -> tuple[Any, str]:
    session.commit()
    modification = modifications.reject(args.id, args.reason, actor=actor)
    return _modification_view(modification), f"modification #{args.id} rejected"


def cmd_modifications_resume(
    session: Session, args: argparse.Namespace, actor: Actor
) -> tuple[Any, str]:
    session.commit()
    modifications.resume(args.id, budget_usd=args.budget, actor=actor)
    return _start(args.id, args.wait)


class _Outcome(Exception):
    """A command that ran but did not succeed: print its result, exit with `status`."""

    status = 1

    def __init__(self, data: Any, text: str) -> None:
        super().__init__(text)
        self.data, self.text = data, text


class DeploymentFailed(_Outcome):
    pass


class CallFailed(_Outcome):
    pass


class CommandFailed(_Outcome):
    pass


def _warn(version) -> str:
    return f"\nwarning: {version.syntax_error} (this version can't be deployed)" * bool(
        version.syntax_error
    )


# --- parser --------------------------------------------------------------------------------

Handler = Callable[[Session, argparse.Namespace, Actor], tuple[Any, str]]


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print machine-readable JSON")
    common.add_argument("--as", dest="as_user", metavar="EMAIL", help="act as this user")

    parser = _Parser(prog="python -m backend", parents=[common], description=__doc__)
    groups = parser.add_subparsers(dest="group", required=True, parser_class=_Parser)

    def command(group, name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        sub = group.add_parser(name, parents=[common], help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    user_group = groups.add_parser("users", help="people who use the product")
    user_cmds = user_group.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add = command(user_cmds, "add", cmd_users_add, "add a user")
    add.add_argument("--name", required=True)
    add.add_argument("--email", required=True)
    add.add_argument("--phone", help="E.164, like +15551234567")
    add.add_argument("--admin", action="store_true")
    add.add_argument(
        "--channel",
        default=Channel.EMAIL.value,
        choices=[c.value for c in (Channel.EMAIL, Channel.SMS, Channel.VOICE, Channel.SLACK)],
        help="preferred notification channel",
    )
    command(user_cmds, "list", cmd_users_list, "list users")

    obj_group = groups.add_parser("objects", help="durable objects and their versions")
    obj_cmds = obj_group.add_subparsers(dest="command", required=True, parser_class=_Parser)
    file_help = "a file to store; NAME=PATH stores PATH as NAME (repeatable)"
    create = command(obj_cmds, "create", cmd_objects_create, "create an object from files")
    create.add_argument("--slug", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--description", default="")
    create.add_argument("--kind", default=ObjectKind.ENDPOINT.value)
    create.add_argument("--file", action="append", required=True, help=file_help)
    create.add_argument("--owner", metavar="EMAIL")
    create.add_argument("--message")
    edit = command(obj_cmds, "edit", cmd_objects_edit, "save a new version")
    edit.add_argument("slug")
    edit.add_argument("--file", action="append", default=[], help=file_help)
    edit.add_argument("--remove", action="append", default=[], metavar="PATH")
    edit.add_argument("--message")
    edit.add_argument(
        "--intent",
        choices=[i.value for i in EditIntent],
        default=EditIntent.CHANGE.value,
        help="refactor: behaviour must stay the same (checked side by side with the parent)",
    )
    edit.add_argument(
        "--no-evaluate", dest="evaluate", action="store_false", help="save without evaluating"
    )
    command(obj_cmds, "list", cmd_objects_list, "list objects")
    show = command(obj_cmds, "show", cmd_objects_show, "show an object and one version")
    show.add_argument("slug")
    show.add_argument("--version", type=int)
    versions = command(obj_cmds, "versions", cmd_objects_versions, "list an object's versions")
    versions.add_argument("slug")
    diff = command(obj_cmds, "diff", cmd_objects_diff, "unified diff between two versions")
    diff.add_argument("slug")
    diff.add_argument("a", type=int)
    diff.add_argument("b", type=int)
    rollback = command(obj_cmds, "rollback", cmd_objects_rollback, "restore an old version")
    rollback.add_argument("slug")
    rollback.add_argument("number", type=int)

    deploy = command(obj_cmds, "deploy", cmd_objects_deploy, "test a version and make it live")
    deploy.add_argument("slug")
    deploy.add_argument("--version", type=int, help="default: the current version")
    call = command(obj_cmds, "call", cmd_objects_call, "call a deployed object's function")
    call.add_argument("slug")
    call.add_argument("function")
    call.add_argument("--args", default="{}", help="a JSON object of arguments")
    visibility = command(
        obj_cmds, "visibility", cmd_objects_visibility, "public objects need no API token"
    )
    visibility.add_argument("slug")
    visibility.add_argument("visibility", choices=["public", "private"])

    modify = command(obj_cmds, "modify", cmd_objects_modify, "ask the LLM for a change")
    modify.add_argument("slug")
    modify.add_argument("--prompt", required=True, help="what should change")
    modify.add_argument("--budget", type=float, metavar="USD", help="LLM budget for this change")
    modify.add_argument("--wait", action="store_true", help="run here and show progress")
    scratch = command(
        obj_cmds,
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
    auto = command(
        obj_cmds, "auto-apply", cmd_objects_auto_apply, "let accepted changes apply themselves"
    )
    auto.add_argument("slug")
    auto.add_argument("setting", choices=["on", "off"])
    limits = command(obj_cmds, "limits", cmd_objects_limits, "set this object's sandbox limits")
    limits.add_argument("slug")
    limits.add_argument(
        "limit",
        nargs="+",
        metavar="NAME=NUMBER",
        help="cpu_seconds, wall_seconds, memory_mb or output_bytes",
    )

    mod_group = groups.add_parser("modifications", help="requested changes and their evaluations")
    mod_cmds = mod_group.add_subparsers(dest="command", required=True, parser_class=_Parser)
    listing = command(mod_cmds, "list", cmd_modifications_list, "list modifications, newest first")
    listing.add_argument("--status", choices=[s.value for s in ModificationStatus])
    listing.add_argument("--object", metavar="SLUG")
    shown = command(mod_cmds, "show", cmd_modifications_show, "a modification and its attempts")
    shown.add_argument("id", type=int)
    approve = command(mod_cmds, "approve", cmd_modifications_approve, "apply an accepted change")
    approve.add_argument("id", type=int)
    approve.add_argument("--deploy", action="store_true", help="deploy the new version too")
    reject = command(mod_cmds, "reject", cmd_modifications_reject, "turn a change down")
    reject.add_argument("id", type=int)
    reject.add_argument("--reason", required=True)
    resume = command(mod_cmds, "resume", cmd_modifications_resume, "continue with a higher budget")
    resume.add_argument("id", type=int)
    resume.add_argument("--budget", type=float, required=True, metavar="USD")
    resume.add_argument("--wait", action="store_true")

    evaluate = command(groups, "evaluate", cmd_evaluate, "score a version against its parent")
    evaluate.add_argument("slug")
    evaluate.add_argument("--version", type=int)
    evaluate.add_argument(
        "--intent",
        choices=[i.value for i in EditIntent],
        default=EditIntent.CHANGE.value,
        help="refactor: behaviour must stay the same (compared side by side with the parent)",
    )

    token_group = groups.add_parser("tokens", help="API tokens for calling private objects")
    token_cmds = token_group.add_subparsers(dest="command", required=True, parser_class=_Parser)
    token = command(token_cmds, "create", cmd_tokens_create, "create a token for a user")
    token.add_argument("--user", required=True, metavar="EMAIL")
    token.add_argument("--name", default="", help="what the token is for")

    db_group = groups.add_parser("db", help="the database schema")
    db_cmds = db_group.add_subparsers(dest="command", required=True, parser_class=_Parser)
    command(db_cmds, "upgrade", _cmd_db_upgrade, "apply pending migrations")
    return parser


def _cmd_db_upgrade(session: Session, args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    revision = db.current_revision()
    return {"revision": revision}, f"database schema is at {revision}"


def _actor(session: Session, as_user: str | None) -> Actor:
    if as_user:
        user = users.get_user_by_email(session, as_user)
        return Actor(name=user.email, channel=Channel.CLI, user_id=user.id)
    return Actor(name=f"cli:{getpass.getuser()}", channel=Channel.CLI)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        db.upgrade_database()
        with db.session_scope() as session:
            data, text = args.handler(session, args, _actor(session, args.as_user))
    except _Outcome as outcome:
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
