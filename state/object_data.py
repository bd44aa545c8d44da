"""Blocking writes behind the object page (run them with asyncio.to_thread).

What the page reads is in `backend.read_models.object_page`.
"""

from __future__ import annotations

from backend.access import audit
from backend.enums import EditIntent
from backend.objects import deploy as deployments
from backend.objects import store
from backend.pipeline import review


def save_version(
    slug: str, files: dict[str, str], message: str, intent: str, actor: audit.Actor
) -> tuple[int, int]:
    """Save the edit (the backend schedules its evaluation); (version, evaluation job or 0)."""
    version, task = review.save_version(
        slug, files=files, message=message, intent=EditIntent(intent), actor=actor
    )
    return version.number, int(task.id) if task else 0


def restore(slug: str, number: int, actor: audit.Actor) -> int:
    return store.rollback(slug, number, actor=actor).number


def deploy(slug: str, number: int, actor: audit.Actor) -> int:
    """Ask for version `number` to be deployed (the backend starts the job); the job's id."""
    return int(deployments.request_deploy(slug, actor=actor, number=number).id)


def set_auto_rollback(slug: str, enabled: bool, actor: audit.Actor) -> bool:
    """Let a failing new version roll back by itself, or not; returns `enabled`."""
    return store.set_auto_rollback(slug, enabled=enabled, actor=actor).auto_rollback


def set_visibility(slug: str, public: bool, actor: audit.Actor) -> bool:
    """Make the object public (callable without a token) or private; returns `public`."""
    return store.set_visibility(slug, public=public, actor=actor).is_public
