"""Evaluating a stored version against its parent: manual edits and `evaluate` in the CLI."""

from __future__ import annotations

from backend.db import session_scope
from backend.enums import EditIntent
from backend.models import Evaluation, ObjectVersion
from backend.objects import store
from backend.pipeline.evaluate import Assessment, assess, record


def evaluate_version(
    slug: str, number: int | None = None, *, intent: EditIntent = EditIntent.CHANGE
) -> tuple[Assessment, Evaluation]:
    """Judge version `number` (default: current) against its parent and store the result.

    A refactor is meant to keep behaviour, so it is also run side by side with its parent.
    """
    with session_scope() as session:
        version = store.get_version(session, slug, number)
        parent = session.get(ObjectVersion, version.parent_id) if version.parent_id else None
        files, parent_files = dict(version.files), dict(parent.files) if parent else None
        version_id = version.id
    assessment = assess(
        files,
        parent_files,
        keeps_behaviour=EditIntent(intent) == EditIntent.REFACTOR and parent_files is not None,
        plan={"changes_api": False, "changes_behaviour": intent == EditIntent.CHANGE},
    )
    with session_scope() as session:
        evaluation = record(
            session, assessment, modification_id=None, version_id=version_id, attempt=1
        )
    return assessment, evaluation
