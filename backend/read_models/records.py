"""JSON views of single records (objects, versions, deployments, modifications, tasks, events).

What the CLI's --json prints and the HTTP API answers, so both (and a text message later)
say the same facts in the same words. Pages show richer views built in the neighbouring
modules of this package.
"""

from __future__ import annotations

from typing import Any

from backend.models import (
    Deployment,
    DurableObject,
    Event,
    EventSource,
    Modification,
    ObjectVersion,
    Task,
    User,
)
from backend.objects.schema import function_signature


def _when(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def user_view(user: User) -> dict[str, Any]:
    """A person: never a password or PIN hash, only whether a PIN is set."""
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "phone": user.phone,
        "phone_verified": bool(user.phone and user.phone_verified),
        "has_pin": bool(user.pin_hash),
        "sms_opted_out": user.sms_opted_out,
        "is_admin": user.is_admin,
        "preferred_channel": user.preferred_channel,
    }


def object_view(obj: DurableObject) -> dict[str, Any]:
    """An object summary."""
    return {
        "slug": obj.slug,
        "name": obj.name,
        "description": obj.description,
        "kind": obj.kind,
        "status": obj.status,
        "current_version": obj.current_version,
        "deployed_version": obj.deployed_version,
        "owner_id": obj.owner_id,
        "is_public": obj.is_public,
        "auto_apply": obj.auto_apply,
        "auto_rollback": obj.auto_rollback,
        "limits": dict(obj.limits),
        "created_at": _when(obj.created_at),
        "updated_at": _when(obj.updated_at),
    }


def parse_status(syntax_error: str | None) -> str:
    """How every door says whether a version's code parses: "parses", or "does not parse:
    main.py line 1: expected ':'" (such a version can't be deployed)."""
    return f"does not parse: {syntax_error}" if syntax_error else "parses"


def version_view(version: ObjectVersion, *, with_files: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {
        "number": version.number,
        "author": version.author,
        "message": version.message,
        "intent": version.intent,
        "files": sorted(version.files),
        "api": [function_signature(f) for f in version.api_schema.get("functions", [])],
        "parses": not version.syntax_error,
        "syntax_error": version.syntax_error,
        "code": parse_status(version.syntax_error),
        "created_at": _when(version.created_at),
    }
    if with_files:
        view["file_contents"] = dict(version.files)
        view["api_schema"] = version.api_schema
    return view


def deployment_view(deployment: Deployment) -> dict[str, Any]:
    return {
        "id": deployment.id,
        "status": deployment.status,
        "logs": deployment.logs,
        "deployed_by": deployment.deployed_by,
        "created_at": _when(deployment.created_at),
    }


def modification_view(modification: Modification) -> dict[str, Any]:
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
        "task_id": modification.task_id,
        "created_at": _when(modification.created_at),
    }


def task_view(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "kind": task.kind,
        "status": task.status,
        "progress": task.progress,
        "message": task.message,
        "result": task.result,
        "error": task.error,
        "redeliveries": task.redeliveries,
        "created_at": _when(task.created_at),
        "started_at": _when(task.started_at),
        "finished_at": _when(task.finished_at),
    }


def event_source_view(source: EventSource) -> dict[str, Any]:
    """A source of events: never its key's hash, only the key's first characters."""
    return {
        "id": source.id,
        "name": source.name,
        "prefix": source.prefix,
        "created_at": _when(source.created_at),
        "last_used_at": _when(source.last_used_at),
        "revoked_at": _when(source.revoked_at),
    }


def event_status(event: Event) -> str:
    """Where the dispatcher is with an event: pending (not yet handed to the monitors),
    retrying (its dispatch failed, it will be tried again), dispatched, or failed (given up
    after EVENT_DISPATCH_MAX_TRIES; `dispatch_error` says why)."""
    if event.dispatched_at is None:
        return "retrying" if event.dispatch_tries else "pending"
    return "failed" if event.dispatch_error is not None else "dispatched"


def event_view(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "name": event.name,
        "source": event.source,
        "payload": event.payload,
        "idempotency_key": event.idempotency_key,
        "created_at": _when(event.created_at),
        "dispatched_at": _when(event.dispatched_at),
        "status": event_status(event),
        "dispatch_tries": event.dispatch_tries,
        "error": event.dispatch_error,
    }
