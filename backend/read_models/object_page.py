"""One object as its page shows it: files, versions, the newest change, deployments, what its
call console offers (the deployed functions with example arguments, and storage), and how to
call it over HTTP (its URLs, curl examples and OpenAPI document)."""

from __future__ import annotations

import ast
import dataclasses
import json
import shlex
from typing import Any

from sqlmodel import Session

from backend.config import get_settings
from backend.db import session_scope
from backend.models import DurableObject, ObjectVersion
from backend.objects import deploy as deployments
from backend.objects import state as object_state
from backend.objects import store
from backend.objects.diff import FileDiff
from backend.objects.schema import function_signature
from backend.read_models.display import when


@dataclasses.dataclass
class VersionRow:
    number: int
    author: str
    message: str
    created: str
    api: str
    syntax_error: str


@dataclasses.dataclass
class DeploymentRow:
    id: int
    version: int
    status: str
    deployed_by: str
    created: str
    logs: str


@dataclasses.dataclass
class FileChange:
    """One file's texts on both sides of a diff (empty when added or removed)."""

    path: str
    change: str
    added: int
    removed: int
    old: str
    new: str
    whitespace_only: bool = False  # the texts differ in spaces, tabs or line breaks only


@dataclasses.dataclass
class FunctionSpec:
    name: str
    signature: str
    example: str  # JSON arguments pre-filled from the schema


@dataclasses.dataclass
class ConsoleView:
    """What the call console offers: the deployed version's functions, and durable storage."""

    functions: list[FunctionSpec] = dataclasses.field(default_factory=list)
    storage: str = "{}"
    storage_keys: int = 0


@dataclasses.dataclass
class Endpoint:
    """One deployed function over HTTP: its URL and a curl command that calls it."""

    name: str
    url: str
    curl: str


@dataclasses.dataclass
class HttpAccess:
    """How the deployed version is called from outside (empty lists while nothing is live)."""

    base_url: str = ""
    openapi_url: str = ""
    endpoints: list[Endpoint] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class ObjectSnapshot:
    """Everything the object page shows about one object at one moment."""

    slug: str
    name: str
    description: str
    kind: str
    status: str
    current_version: int
    deployed_version: int
    version_line: str  # "live v5 · latest v6, its deploy failed"
    owner_id: int  # 0: nobody's
    is_public: bool
    auto_rollback: bool  # a failing new version rolls back by itself (the owner's choice)
    files: dict[str, str]
    versions: list[VersionRow]  # newest first
    latest_change: list[FileChange]  # the previous version to the current one (none for v1)
    deployments: list[DeploymentRow]
    console: ConsoleView
    http: HttpAccess


_EXAMPLES = {"int": 1, "float": 1.0, "str": "text", "bool": True, "list": [], "dict": {}}


def _example_value(param: dict[str, Any]) -> Any:
    if param.get("default") is not None:
        try:
            return ast.literal_eval(param["default"])
        except (ValueError, SyntaxError, TypeError):
            pass
    annotation = (param.get("annotation") or "").split("[")[0].strip()
    return _EXAMPLES.get(annotation)


def function_specs(api_schema: dict[str, Any]) -> list[FunctionSpec]:
    """The schema's functions, each with JSON example arguments (defaults, else by type)."""
    specs = []
    for function in api_schema.get("functions", []):
        args = {
            param["name"]: _example_value(param)
            for param in function["params"]
            if param["kind"] in ("positional_or_keyword", "keyword_only", "positional_only")
        }
        specs.append(
            FunctionSpec(
                name=function["name"],
                signature=function_signature(function),
                example=json.dumps(args, indent=2),
            )
        )
    return specs


def curl_command(url: str, arguments: str, *, public: bool) -> str:
    """A curl command that POSTs `arguments` (JSON) to `url`; a private object's sends the
    token from $DOB_TOKEN."""
    body = json.dumps(json.loads(arguments))
    lines = [f"curl -X POST {shlex.quote(url)}", "-H 'Content-Type: application/json'"]
    if not public:
        lines.append('-H "Authorization: Bearer $DOB_TOKEN"')
    lines.append(f"-d {shlex.quote(body)}")
    return " \\\n  ".join(lines)


def http_access(slug: str, specs: list[FunctionSpec], *, public: bool) -> HttpAccess:
    """The URLs (under PUBLIC_BASE_URL) and curl commands of the deployed functions."""
    base = get_settings().public_base_url.rstrip("/")
    prefix = f"{base}/api/objects/{slug}"
    return HttpAccess(
        base_url=base,
        openapi_url=f"{prefix}/openapi.json",
        endpoints=[
            Endpoint(
                name=spec.name,
                url=f"{prefix}/{spec.name}",
                curl=curl_command(f"{prefix}/{spec.name}", spec.example, public=public),
            )
            for spec in specs
        ],
    )


def version_line(current: int, deployed: int, deployments: list[DeploymentRow]) -> str:
    """The live version and the latest apart, and what became of the latest's deploy."""
    if deployed and deployed == current:
        return f"live v{current}, the latest"
    # Deployments are newest first: the first one of the latest version says how it went.
    tried = next((d.status for d in deployments if d.version == current), "")
    outcome = {"failed": ", its deploy failed", "testing": ", being deployed"}.get(
        tried, ", not deployed"
    )
    live = f"live v{deployed}" if deployed else "nothing live"
    return f"{live} · latest v{current}{outcome}"


def last_log_line(log: str) -> str:
    """A deployment log's last line: where a failed run says what failed."""
    return log.strip().splitlines()[-1] if log.strip() else "no log"


def changes_between(
    diffs: list[FileDiff], old: dict[str, str], new: dict[str, str]
) -> list[FileChange]:
    """Each differing file with its texts on both sides (what the diff editor shows)."""
    return [
        FileChange(
            path=d.path,
            change=d.change,
            added=d.added_lines,
            removed=d.removed_lines,
            old=old.get(d.path, ""),
            new=new.get(d.path, ""),
            whitespace_only=d.change == "changed"
            and "".join(old.get(d.path, "").split()) == "".join(new.get(d.path, "").split()),
        )
        for d in diffs
    ]


def version_changes(session: Session, slug: str, a: int, b: int) -> list[FileChange]:
    """The files that differ between versions a and b, with both texts."""
    diffs = store.diff_versions(session, slug, a, b)
    old = store.get_version(session, slug, a).files
    new = store.get_version(session, slug, b).files
    return changes_between(diffs, old, new)


def _console(session: Session, obj: DurableObject, deployed: ObjectVersion | None) -> ConsoleView:
    storage = object_state.load(session, obj.id)
    return ConsoleView(
        functions=function_specs(deployed.api_schema) if deployed else [],
        storage=json.dumps(storage, indent=2, sort_keys=True, default=str),
        storage_keys=len(storage),
    )


def _version_row(version: ObjectVersion) -> VersionRow:
    return VersionRow(
        number=version.number,
        author=version.author,
        message=version.message,
        created=when(version.created_at),
        api=", ".join(function_signature(f) for f in version.api_schema.get("functions", [])),
        syntax_error=version.syntax_error or "",
    )


def object_snapshot(session: Session, slug: str) -> ObjectSnapshot:
    """The object page's data, read in the caller's session (NotFound for an unknown slug)."""
    obj = store.get_object(session, slug)
    versions = store.list_versions(session, slug)
    by_number = {v.number: v for v in versions}
    current = by_number.get(obj.current_version) or store.get_version(session, slug)
    number_of = {v.id: v.number for v in versions}
    head = current.number
    deployment_rows = [
        DeploymentRow(
            id=d.id or 0,
            version=number_of.get(d.version_id, 0),
            status=str(d.status),
            deployed_by=d.deployed_by,
            created=when(d.created_at),
            logs=d.logs or "(no log yet)",
        )
        for d in deployments.list_deployments(session, slug)
    ]
    console = _console(session, obj, by_number.get(obj.deployed_version or 0))
    return ObjectSnapshot(
        slug=obj.slug,
        name=obj.name,
        description=obj.description,
        kind=str(obj.kind),
        status=str(obj.status),
        current_version=obj.current_version or 0,
        deployed_version=obj.deployed_version or 0,
        version_line=version_line(
            obj.current_version or 0, obj.deployed_version or 0, deployment_rows
        ),
        owner_id=obj.owner_id or 0,
        is_public=obj.is_public,
        auto_rollback=obj.auto_rollback,
        files=dict(current.files),
        versions=[_version_row(v) for v in reversed(versions)],
        latest_change=version_changes(session, slug, head - 1, head) if head > 1 else [],
        deployments=deployment_rows,
        console=console,
        http=http_access(obj.slug, console.functions, public=obj.is_public),
    )


def read_object(slug: str) -> ObjectSnapshot:
    """`object_snapshot` in a session of its own."""
    with session_scope() as session:
        return object_snapshot(session, slug)


def read_console(slug: str) -> ConsoleView:
    """Only what the call console shows (after a call, storage may have changed)."""
    with session_scope() as session:
        obj = store.get_object(session, slug)
        deployed = (
            store.get_version(session, slug, obj.deployed_version)
            if obj.deployed_version is not None
            else None
        )
        return _console(session, obj, deployed)


def file_changes(slug: str, a: int, b: int) -> list[FileChange]:
    """`version_changes` in a session of its own."""
    with session_scope() as session:
        return version_changes(session, slug, a, b)
