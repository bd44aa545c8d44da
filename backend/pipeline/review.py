"""Manual edits: saving a version and evaluating it against its parent.

`save_version` is what every door calls to save a person's edit: it writes the version with
the intent the person gave and, unless told not to, schedules the evaluation as a job in the
same transaction. `evaluate_version` is that job's work (and the CLI's `evaluate`).

Transactions: each write action here owns its transaction (`backend.db.own_transaction`):
doors call `save_version(...)`; a backend service composing several steps in one transaction
calls the `_in(session, ...)` form, which never commits.
"""

from __future__ import annotations

from sqlmodel import Session

from backend.access import audit
from backend.background import jobs
from backend.db import own_transaction, session_scope
from backend.enums import EditIntent, JobKind
from backend.models import Evaluation, ObjectVersion, Task
from backend.objects import store
from backend.pipeline.evaluate import Assessment, assess, record
from backend.pipeline.progress import Progress, no_progress


def save_version_in(
    session: Session,
    slug: str,
    *,
    files: dict[str, str],
    actor: audit.Actor,
    message: str = "",
    intent: EditIntent = EditIntent.CHANGE,
    evaluate: bool = True,
    here: bool = False,
) -> tuple[ObjectVersion, Task | None]:
    """Save a person's edit as a new version and schedule its evaluation (unless `evaluate`
    is False); returns the version and the evaluation's job. A version that doesn't parse
    is saved (with its syntax error) but not evaluated: there is nothing to score.
    """
    version = store.edit_object(
        session, slug, files=files, actor=actor, message=message, intent=EditIntent(intent)
    )
    if not evaluate or version.syntax_error:
        return version, None
    task = jobs.schedule(
        session, JobKind.VERSION_EVALUATE, {"slug": slug, "version": version.number}, here=here
    )
    return version, task


save_version = own_transaction(save_version_in)


def evaluate_version(
    slug: str,
    number: int | None = None,
    *,
    intent: EditIntent | None = None,
    progress: Progress = no_progress,
) -> tuple[Assessment, Evaluation]:
    """Judge version `number` (default: current) against its parent and store the result.

    `intent` defaults to the one the version was saved with (else "change"). A refactor is
    meant to keep behaviour, so it is also run side by side with its parent.
    """
    with session_scope() as session:
        version = store.get_version(session, slug, number)
        parent = session.get(ObjectVersion, version.parent_id) if version.parent_id else None
        files, parent_files = dict(version.files), dict(parent.files) if parent else None
        version_id = version.id
        intent = EditIntent(intent or version.intent or EditIntent.CHANGE)
    assessment = assess(
        files,
        parent_files,
        keeps_behaviour=intent == EditIntent.REFACTOR and parent_files is not None,
        plan={"changes_api": False, "changes_behaviour": intent == EditIntent.CHANGE},
        progress=progress,
    )
    with session_scope() as session:
        evaluation = record(
            session, assessment, modification_id=None, version_id=version_id, attempt=1
        )
    return assessment, evaluation
