"""Blocking writes behind the object page (run them with asyncio.to_thread).

What the page reads is in `backend.read_models.object_page`.
"""

from __future__ import annotations

from backend import audit
from backend.db import session_scope
from backend.enums import EditIntent
from backend.objects import deploy as deployments
from backend.objects import store
from backend.pipeline import review


def save_version(
    slug: str, files: dict[str, str], message: str, intent: str, actor: audit.Actor
) -> tuple[int, int]:
    """Save the edit (the backend schedules its evaluation); (version, evaluation job or 0)."""
    with session_scope() as session:
        version, task = review.save_version(
            session, slug, files=files, message=message, intent=EditIntent(intent), actor=actor
        )
        return version.number, int(task.id) if task else 0


def restore(slug: str, number: int, actor: audit.Actor) -> int:
    with session_scope() as session:
        return store.rollback(session, slug, number, actor=actor).number


def deploy(slug: str, actor: audit.Actor) -> tuple[str, str]:
    """Deploy the current version; returns (status, log)."""
    deployment = deployments.deploy(slug, actor=actor)
    return str(deployment.status), deployment.logs
