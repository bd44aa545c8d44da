"""Blocking writes behind the object page (run them with asyncio.to_thread).

What the page reads is in `backend.read_models.object_page`.
"""

from __future__ import annotations

from backend import audit
from backend.db import session_scope
from backend.enums import EditIntent
from backend.objects import deploy as deployments
from backend.objects import store
from backend.pipeline.review import evaluate_version
from backend.read_models.evaluations import EvaluationView, evaluation_view


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
