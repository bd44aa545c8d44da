"""Plain-dict views of objects and versions, shared by the CLI's --json, the API and pages."""

from __future__ import annotations

from typing import Any

from backend.models import DurableObject, ObjectVersion
from backend.objects.schema import function_signature


def object_view(obj: DurableObject) -> dict[str, Any]:
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
        "limits": dict(obj.limits),
        "created_at": obj.created_at.isoformat(),
        "updated_at": obj.updated_at.isoformat(),
    }


def version_view(version: ObjectVersion, *, with_files: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {
        "number": version.number,
        "author": version.author,
        "message": version.message,
        "files": sorted(version.files),
        "api": [function_signature(f) for f in version.api_schema.get("functions", [])],
        "syntax_error": version.syntax_error,
        "created_at": version.created_at.isoformat(),
    }
    if with_files:
        view["file_contents"] = dict(version.files)
        view["api_schema"] = version.api_schema
    return view
