"""Blocking reads and writes behind the object page (run them with asyncio.to_thread).

Each function opens its own session and returns plain dataclasses, so the states stay thin
and no ORM object crosses into Reflex.
"""

from __future__ import annotations

import ast
import dataclasses
import json
from typing import Any

from backend import audit
from backend.db import session_scope
from backend.enums import EditIntent
from backend.objects import deploy as deployments
from backend.objects import state as object_state
from backend.objects import store
from backend.objects.diff import FileDiff
from backend.objects.schema import function_signature
from backend.pipeline.review import evaluate_version
from state.evaluation_view import EvaluationView, evaluation_view
from state.wording import when


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


@dataclasses.dataclass
class FunctionSpec:
    name: str
    signature: str
    example: str  # JSON arguments pre-filled from the schema


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
    files: dict[str, str]
    versions: list[VersionRow]
    deployments: list[DeploymentRow]
    functions: list[FunctionSpec]
    storage: str
    storage_keys: int


_EXAMPLES = {"int": 1, "float": 1.0, "str": "text", "bool": True, "list": [], "dict": {}}


def _example_value(param: dict[str, Any]) -> Any:
    if param.get("default") is not None:
        try:
            return ast.literal_eval(param["default"])
        except (ValueError, SyntaxError, TypeError):
            pass
    annotation = (param.get("annotation") or "").split("[")[0].strip()
    return _EXAMPLES.get(annotation)


def _functions(api_schema: dict[str, Any]) -> list[FunctionSpec]:
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


def read_object(slug: str) -> ObjectSnapshot:
    with session_scope() as session:
        obj = store.get_object(session, slug)
        current = store.get_version(session, slug)
        versions = [
            VersionRow(
                number=v.number,
                author=v.author,
                message=v.message,
                created=when(v.created_at),
                api=", ".join(function_signature(f) for f in v.api_schema.get("functions", [])),
                syntax_error=v.syntax_error or "",
            )
            for v in reversed(store.list_versions(session, slug))
        ]
        number_of = {v.id: v.number for v in store.list_versions(session, slug)}
        rows = [
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
        deployed = (
            store.get_version(session, slug, obj.deployed_version)
            if obj.deployed_version is not None
            else None
        )
        storage = object_state.load(session, obj.id)
        return ObjectSnapshot(
            slug=obj.slug,
            name=obj.name,
            description=obj.description,
            kind=str(obj.kind),
            status=str(obj.status),
            current_version=obj.current_version or 0,
            deployed_version=obj.deployed_version or 0,
            files=dict(current.files),
            versions=versions,
            deployments=rows,
            functions=_functions(deployed.api_schema) if deployed else [],
            storage=json.dumps(storage, indent=2, sort_keys=True, default=str),
            storage_keys=len(storage),
        )


def save_version(slug: str, files: dict[str, str], message: str, actor: audit.Actor) -> int:
    with session_scope() as session:
        version = store.edit_object(session, slug, files=files, actor=actor, message=message)
        return version.number


def evaluate(slug: str, number: int, intent: str) -> EvaluationView:
    _, evaluation = evaluate_version(slug, number, intent=EditIntent(intent))
    return evaluation_view(evaluation)


def restore(slug: str, number: int, actor: audit.Actor) -> int:
    with session_scope() as session:
        return store.rollback(session, slug, number, actor=actor).number


def deploy(slug: str, actor: audit.Actor) -> tuple[str, str]:
    """Deploy the current version; returns (status, log)."""
    deployment = deployments.deploy(slug, actor=actor)
    return str(deployment.status), deployment.logs


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
        )
        for d in diffs
    ]


def file_changes(slug: str, a: int, b: int) -> list[FileChange]:
    """The files that differ between versions a and b, with both texts."""
    with session_scope() as session:
        diffs = store.diff_versions(session, slug, a, b)
        old = store.get_version(session, slug, a).files
        new = store.get_version(session, slug, b).files
    return changes_between(diffs, old, new)
