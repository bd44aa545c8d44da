"""JSON views of the records that more than one noun prints (deployments, modifications)."""

from __future__ import annotations

from typing import Any


def deployment_view(deployment) -> dict[str, Any]:
    return {
        "id": deployment.id,
        "status": deployment.status,
        "logs": deployment.logs,
        "deployed_by": deployment.deployed_by,
        "created_at": deployment.created_at.isoformat(),
    }


def modification_view(modification) -> dict[str, Any]:
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
