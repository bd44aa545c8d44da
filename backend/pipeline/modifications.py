"""Modifications: requested, planned, generated, evaluated, retried with feedback, decided.

A modification changes nothing in the store until a person approves it (or the object's
owner chose auto-apply): attempts live on the Modification row and its Evaluation rows, so
an LLM that fails half-way leaves no half-written version. Creation from scratch is a
modification without a base version whose accepted files become a new draft object.

Each step commits on its own, so whoever watches the row (a page, a text message) sees the
pipeline move. Requesting (and resuming) schedules the job that runs it in the same
transaction, so every door makes one call; a door that wants to run it itself (the CLI's
--wait) asks with `here=True` and then calls `backend.background.jobs.run_here`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlmodel import Session, select

from backend import llm
from backend.access import audit
from backend.access.permissions import Permission, require
from backend.background import jobs
from backend.config import get_settings
from backend.db import session_scope
from backend.enums import EventName, JobKind, ModificationKind, ModificationStatus
from backend.errors import Conflict, InvalidInput, NotFound
from backend.events import activity
from backend.llm.deadline import check as check_deadline
from backend.llm.deadline import deadline
from backend.llm.errors import LLMBadAnswer, counted
from backend.models import Evaluation, Modification, ObjectVersion, Task, utcnow
from backend.objects import deploy as deployments
from backend.objects import store
from backend.objects.diff import FileDiff, diff_files
from backend.objects.files import validate_files
from backend.objects.slugs import validate_slug
from backend.pipeline.evaluate import Assessment, assess, record
from backend.pipeline.progress import Progress, no_progress
from backend.reward.code import is_test_file
from backend.syntax import parse

S = ModificationStatus
REJECTIONS_REMEMBERED = 5
PLAN_DONE = 15  # percent of the progress bar when the plan is ready
#: What a request of each kind is called when no LLM is configured to run it.
NEEDS_LLM = {
    ModificationKind.MODIFY: "changing objects",
    ModificationKind.CREATE: "writing new objects",
}


def llm_missing(kind: ModificationKind) -> str:
    """Why a request of `kind` can't be made now ("" when an LLM is configured): what a page
    says before anyone writes a request."""
    return llm.client.unconfigured_reason(NEEDS_LLM[kind])


# --- requests ------------------------------------------------------------------------------


def request_modification(
    slug: str,
    prompt: str,
    *,
    actor: audit.Actor,
    budget_usd: float | None = None,
    here: bool = False,
) -> Modification:
    """Record a request to change an object and schedule the job that runs it (`task_id`)."""
    require(actor, Permission.EDIT)
    if not prompt.strip():
        raise InvalidInput("say what should change (the prompt is empty)")
    _check_budget(budget_usd)
    llm.client.require_llm(NEEDS_LLM[ModificationKind.MODIFY])
    with session_scope() as session:
        obj = store.get_object(session, slug)
        base = store.get_version(session, slug)
        if base.syntax_error:
            raise Conflict(
                f"{slug} v{base.number} doesn't parse ({base.syntax_error}); fix it first"
            )
        return _add_request(
            session,
            actor,
            budget_usd,
            kind=ModificationKind.MODIFY,
            object_id=obj.id,
            base_version_id=base.id,
            here=here,
            slug=slug,
            name=obj.name,
            prompt=prompt.strip(),
        )


def request_creation(
    *,
    slug: str,
    name: str,
    requirements: str,
    actor: audit.Actor,
    description: str = "",
    budget_usd: float | None = None,
    here: bool = False,
) -> Modification:
    """Record a request to write a new object and schedule the job that writes it."""
    require(actor, Permission.EDIT)
    validate_slug(slug)
    if not name.strip() or not requirements.strip():
        raise InvalidInput("a new object needs a name and requirements")
    _check_budget(budget_usd)
    llm.client.require_llm(NEEDS_LLM[ModificationKind.CREATE])
    with session_scope() as session:
        _check_slug_free(session, slug)
        return _add_request(
            session,
            actor,
            budget_usd,
            here=here,
            kind=ModificationKind.CREATE,
            slug=slug,
            name=name.strip(),
            description=description.strip(),
            prompt=requirements.strip(),
        )


def _add_request(
    session: Session, actor: audit.Actor, budget_usd: float | None, *, here: bool, **fields: Any
) -> Modification:
    """Store a new request, waiting to be planned, record who asked, schedule its job."""
    modification = Modification(
        **fields,
        status=S.PLANNING,
        requested_by_id=actor.user_id,
        channel=actor.channel,
        budget_usd=budget_usd,
    )
    session.add(modification)
    session.flush()
    _schedule_run(session, modification, here=here)
    activity.record(
        session,
        actor,
        EventName.CREATION_REQUESTED
        if modification.kind == ModificationKind.CREATE
        else EventName.MODIFICATION_REQUESTED,
        object_id=modification.object_id,
        detail={
            "modification_id": modification.id,
            "slug": modification.slug,
            "prompt": modification.prompt,
        },
    )
    return modification


def _schedule_run(session: Session, modification: Modification, *, here: bool) -> None:
    task = jobs.schedule(
        session, JobKind.MODIFICATION_RUN, {"modification_id": modification.id}, here=here
    )
    modification.task_id = task.id
    session.add(modification)


def _check_budget(budget_usd: float | None) -> None:
    if budget_usd is not None and budget_usd <= 0:
        raise InvalidInput(f"the budget must be more than 0 USD, not {budget_usd}")


def _check_slug_free(session: Session, slug: str) -> None:
    try:
        store.get_object(session, slug)
    except NotFound:
        return
    raise Conflict(f"an object with slug {slug!r} already exists")


# --- reading -------------------------------------------------------------------------------


def get_modification(session: Session, modification_id: int) -> Modification:
    modification = session.get(Modification, modification_id)
    if modification is None:
        raise NotFound(f"no modification with id {modification_id}")
    return modification


def list_modifications(
    session: Session, *, status: str | None = None, slug: str | None = None, limit: int = 50
) -> list[Modification]:
    """Newest first."""
    query = select(Modification).order_by(Modification.id.desc()).limit(limit)
    if status:
        try:
            query = query.where(Modification.status == ModificationStatus(status))
        except ValueError:
            valid = ", ".join(s.value for s in ModificationStatus)
            raise InvalidInput(f"unknown status {status!r}; valid: {valid}") from None
    if slug:
        query = query.where(Modification.slug == slug)
    return list(session.exec(query))


def rejection_reasons(session: Session, object_id: int | None) -> list[str]:
    """Why people rejected earlier changes to this object, newest first (the system learns)."""
    if object_id is None:
        return []
    rows = session.exec(
        select(Modification.prompt, Modification.rejection_reason)
        .where(Modification.object_id == object_id, Modification.status == S.REJECTED)
        .order_by(Modification.id.desc())
        .limit(REJECTIONS_REMEMBERED)
    )
    return [f"{reason} (request was: {prompt})" for prompt, reason in rows if reason]


def evaluations_of(session: Session, modification_id: int) -> list[Evaluation]:
    """A modification's scored attempts, first attempt first."""
    return list(
        session.exec(
            select(Evaluation)
            .where(Evaluation.modification_id == modification_id)
            .order_by(Evaluation.attempt, Evaluation.id)
        )
    )


def proposed_diff(session: Session, modification: Modification) -> list[FileDiff]:
    """The proposed files against the base version (a creation: against nothing)."""
    base = (
        session.get(ObjectVersion, modification.base_version_id).files
        if modification.base_version_id
        else {}
    )
    return diff_files(base, modification.proposed_files or {}, labels=("base", "proposed"))


def fail(modification_id: int, reason: str) -> Modification:
    """Record that a modification could not go on, with the reason (`modification.failed`)."""
    return _update(modification_id, status=S.FAILED, error=reason)


# --- running -------------------------------------------------------------------------------


#: The statuses `_update` sets that end a run, and the event each is recorded as.
_ENDS = {S.FAILED: EventName.MODIFICATION_FAILED, S.PAUSED_BUDGET: EventName.MODIFICATION_PAUSED}


def _update(modification_id: int, **fields: Any) -> Modification:
    """Set fields on the modification; becoming failed (or paused for its budget) is recorded
    as `modification.failed` (`modification.paused`): whoever subscribed to those events
    tells the person who asked."""
    with session_scope() as session:
        modification = get_modification(session, modification_id)
        ending = _ENDS.get(fields.get("status"))
        if fields.get("status") == modification.status:
            ending = None  # recorded when it got there
        for name, value in fields.items():
            setattr(modification, name, value)
        modification.updated_at = utcnow()
        session.add(modification)
        if ending is not None:
            activity.record(
                session,
                audit.SYSTEM,
                ending,
                object_id=modification.object_id,
                detail={
                    "modification_id": modification_id,
                    "slug": modification.slug,
                    "reason": modification.error or "",
                },
            )
        return modification


@contextmanager
def _stops_cleanly(modification_id: int) -> Iterator[None]:
    """Turn an LLM failure into the modification's status, with the reason kept."""
    try:
        yield
    except llm.BudgetExceeded as exc:
        _update(modification_id, status=S.PAUSED_BUDGET, error=str(exc))
    except llm.LLMError as exc:
        _update(modification_id, status=S.FAILED, error=str(exc))
    except Exception as exc:
        _update(modification_id, status=S.FAILED, error=f"{type(exc).__name__}: {exc}")
        raise


RUNNABLE = frozenset({S.PLANNING, S.GENERATING, S.EVALUATING})


def run(modification_id: int, progress: Progress = no_progress) -> Modification:
    """Carry a requested modification (or creation) as far as it goes; returns the row.

    Ends awaiting approval, applied (auto-apply, creation), failed or paused for budget.
    """
    with session_scope() as session:
        modification = get_modification(session, modification_id)
    if modification.status not in RUNNABLE:
        raise Conflict(f"modification {modification_id} is {modification.status}; nothing to run")
    with (
        _stops_cleanly(modification_id),
        deadline(
            get_settings().modification_deadline_seconds,
            work=f"modification {modification_id}",
            setting="MODIFICATION_DEADLINE_SECONDS",
        ),
    ):
        llm.client.require_llm(NEEDS_LLM[ModificationKind.MODIFY])
        _attempt_loop(modification, progress)
    with session_scope() as session:
        return get_modification(session, modification_id)


def _context(modification: Modification) -> tuple[dict[str, str], dict, int | None, list[str]]:
    """(base files, base API schema, base number, rejection reasons) of a modification."""
    if modification.kind == ModificationKind.CREATE:
        return {}, {}, None, []
    with session_scope() as session:
        base = session.get(ObjectVersion, modification.base_version_id)
        return (
            dict(base.files),
            dict(base.api_schema),
            base.number,
            rejection_reasons(session, modification.object_id),
        )


def _plan(modification: Modification, files: dict[str, str], api: dict, rejections: list[str]):
    if modification.plan:
        plan_type = (
            llm.CreationPlan
            if modification.kind == ModificationKind.CREATE
            else (llm.ModificationPlan)
        )
        return plan_type.model_validate(modification.plan)
    if modification.kind == ModificationKind.CREATE:
        return llm.plan_creation(
            modification.name,
            modification.description,
            modification.prompt,
            modification_id=modification.id,
        )
    return llm.plan_modification(
        modification.prompt,
        files,
        api,
        name=modification.name,
        rejections=rejections,
        modification_id=modification.id,
    )


def apply_change(base: dict[str, str], change: llm.CodeChange) -> dict[str, str]:
    """The base files with the change's files written over them and its deletions made.

    Raises InvalidInput, with words the model can act on, for files that can't be an
    object's and for a change that changes nothing.
    """
    proposed = change.apply_to(base)
    if proposed == base:
        raise InvalidInput(_nothing_changed(change))
    unused = _only_unused_additions(base, proposed)
    if unused:
        raise InvalidInput(
            f"your answer changed none of the object's files and only added {', '.join(unused)}, "
            "which no module imports and which are not tests. Change the object's code itself "
            "(main.py or the modules it imports), each file with its complete new text"
        )
    return validate_files(proposed)


def _only_unused_additions(base: dict[str, str], proposed: dict[str, str]) -> list[str]:
    """The added files, when a change keeps every existing file as it was and adds only
    files that no module imports and that are not tests (a real server's way of answering
    with nothing: main.py untouched plus a junk `test/main.py`); else []."""
    if not base or any(proposed.get(path) != text for path, text in base.items()):
        return []
    added = sorted(set(proposed) - set(base))
    imported = _imported_modules(proposed)
    for path in added:
        module = path.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
        if is_test_file(path) or not path.endswith(".py"):
            return []  # a test, or data and docs, which a request may well ask for
        if any(name == module or name.startswith(module + ".") for name in imported):
            return []
    return added


def _imported_modules(files: dict[str, str]) -> set[str]:
    """Every module name the Python files import (absolute names; unparsable files give none)."""
    names: set[str] = set()
    for path, text in files.items():
        if not path.endswith(".py"):
            continue
        try:
            tree = parse(text)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _nothing_changed(change: llm.CodeChange) -> str:
    if not change.files and not change.deleted:
        said = "it lists no files"
    else:
        said = "every file it lists is the same as the current version"
    return (
        f"your answer changed nothing: {said}. Write the change itself: every file you add "
        "or change, each with its complete new text"
    )


def _attempt_loop(modification: Modification, progress: Progress) -> None:
    mid = modification.id
    files, api, _base_number, rejections = _context(modification)
    progress(5, "planning the change")
    plan = _plan(modification, files, api, rejections)
    _update(mid, plan=plan.model_dump(), status=S.GENERATING)
    keeps_behaviour = not getattr(plan, "changes_behaviour", True) and bool(files)
    feedback = _last_feedback(mid)
    max_attempts = get_settings().max_attempts
    span = (100 - PLAN_DONE) / max_attempts
    evaluated = False  # whether the last attempt reached the evaluator (or was refused)
    for attempt in range(modification.attempts + 1, max_attempts + 1):
        low = PLAN_DONE + (attempt - 1) * span
        check_deadline(f"starting attempt {attempt}")
        progress(int(low), f"attempt {attempt} of {max_attempts}: writing the change")
        _update(mid, attempts=attempt, status=S.GENERATING)
        try:
            change = llm.generate_change(
                modification.prompt,
                plan,
                files,
                api,
                feedback=feedback,
                rejections=rejections,
                attempt=attempt,
                modification_id=mid,
            )
        except LLMBadAnswer as exc:
            # An answer that never took the right shape is a refused attempt, like files
            # that can't be an object's: the next attempt hears why (a server that is down,
            # a deadline or a budget still ends the run).
            feedback = f"Your answer could not be read: {exc}"
            _record_refusal(mid, attempt, feedback)
            evaluated = False
            continue
        try:
            proposed = apply_change(files, change)
        except InvalidInput as exc:
            feedback = f"The files you wrote were refused: {exc}"
            _record_refusal(mid, attempt, feedback)
            evaluated = False
            continue
        check_deadline(f"evaluating attempt {attempt}")
        _update(mid, proposed_files=proposed, status=S.EVALUATING)
        assessment = assess(
            proposed,
            files or None,
            keeps_behaviour=keeps_behaviour,
            plan=plan,
            request=modification.prompt,
            modification_id=mid,
            progress=lambda p, m, a=attempt: progress(p, f"attempt {a} of {max_attempts}: {m}"),
            progress_span=(int(low + span * 0.3), int(low + span * 0.95)),
        )
        with session_scope() as session:
            record(session, assessment, modification_id=mid, version_id=None, attempt=attempt)
        if assessment.accepted:
            _accepted(mid, assessment, plan)
            progress(100, _final_message(mid))
            return
        feedback = assessment.judgement.feedback
        evaluated = True
    attempts = counted(max_attempts, "attempt", "attempts")
    if evaluated:
        reason = f"rejected by the evaluator after {attempts}. Last feedback: {feedback}"
    else:
        reason = f"no usable change after {attempts}. Last feedback: {feedback}"
    _update(mid, status=S.FAILED, error=reason)
    progress(100, f"no attempt was accepted in {attempts}")


def _last_feedback(modification_id: int) -> str:
    with session_scope() as session:
        last = session.exec(
            select(Evaluation.feedback)
            .where(Evaluation.modification_id == modification_id)
            .order_by(Evaluation.id.desc())
        ).first()
    return last or ""


def _record_refusal(modification_id: int, attempt: int, feedback: str) -> None:
    with session_scope() as session:
        activity.record(
            session,
            audit.SYSTEM,
            EventName.MODIFICATION_ATTEMPT_REFUSED,
            detail={"modification_id": modification_id, "attempt": attempt, "reason": feedback},
        )


def _accepted(modification_id: int, assessment: Assessment, plan: Any) -> None:
    with session_scope() as session:
        modification = get_modification(session, modification_id)
        obj = store.get_object(session, modification.slug) if modification.object_id else None
        auto = modification.kind == ModificationKind.CREATE or bool(obj and obj.auto_apply)
    if auto:
        _apply(modification_id, actor=audit.AUTO_APPLY)
        return
    with session_scope() as session:
        modification = get_modification(session, modification_id)
        modification.status = S.AWAITING_APPROVAL
        modification.updated_at = utcnow()
        session.add(modification)
        activity.record(
            session,
            audit.SYSTEM,
            EventName.MODIFICATION_AWAITING_APPROVAL,
            object_id=modification.object_id,
            detail={
                "modification_id": modification_id,
                "slug": modification.slug,
                "summary": getattr(plan, "summary", ""),
                "overall_score": assessment.judgement.overall_score,
            },
        )


def _final_message(modification_id: int) -> str:
    with session_scope() as session:
        modification = get_modification(session, modification_id)
    if modification.status == S.APPLIED:
        return f"accepted and applied as {modification.slug}"
    return "accepted by the evaluator; waiting for a person to approve it"


# --- decisions -----------------------------------------------------------------------------


def _apply(modification_id: int, *, actor: audit.Actor) -> Modification:
    """Make the accepted files a version (or, for a creation, a new draft object)."""
    with session_scope() as session:
        modification = get_modification(session, modification_id)
        _apply_in(session, modification, actor=actor)
        return modification


def _apply_in(session: Session, modification: Modification, *, actor: audit.Actor) -> int:
    """`_apply` in the caller's transaction; the number of the version it made."""
    modification_id = modification.id
    author = f"model:{llm.model_for(llm.Role.CODER)}"
    summary = (modification.plan or {}).get("summary", "") or modification.prompt
    message = f"{summary} (modification #{modification_id})"
    if modification.kind == ModificationKind.CREATE:
        _check_slug_free(session, modification.slug)
        version = store.create_object_in(
            session,
            slug=modification.slug,
            name=modification.name,
            description=modification.description,
            files=modification.proposed_files,
            owner_id=modification.requested_by_id,
            message=message,
            author=author,
            actor=actor,
        )
        modification.object_id = version.object_id
    else:
        obj = store.get_object(session, modification.slug, for_update=True)
        base = session.get(ObjectVersion, modification.base_version_id)
        if obj.current_version != base.number:
            raise Conflict(
                f"{obj.slug} moved on to v{obj.current_version} since this change was "
                f"planned on v{base.number}; ask for the change again"
            )
        version = store.edit_object(
            session,
            modification.slug,
            files=modification.proposed_files,
            message=message,
            author=author,
            actor=actor,
        )
    modification.result_version_id = version.id
    modification.status = S.APPLIED
    modification.updated_at = utcnow()
    session.add(modification)
    activity.record(
        session,
        actor,
        EventName.MODIFICATION_APPLIED,
        object_id=modification.object_id,
        detail={"modification_id": modification_id, "version": version.number},
    )
    return version.number


def approve(
    modification_id: int, *, actor: audit.Actor, deploy: bool = False, here: bool = False
) -> tuple[Modification, Task | None]:
    """A person accepts the change: it becomes the object's new version; with `deploy`, the
    deploy job for that version is asked for too (its Task row is returned).

    One transaction: checking, applying and asking for the deployment commit together, so a
    refused deployment (a deprecated object) leaves the change waiting, as it was. `here`:
    the caller runs the deploy job itself (`deploy.run_here`), see `schedule_deploy`.
    """
    require(actor, Permission.APPROVE)
    if deploy:
        require(actor, Permission.DEPLOY)
    with session_scope() as session:
        modification = session.get(Modification, modification_id, with_for_update=True)
        if modification is None:
            raise NotFound(f"no modification with id {modification_id}")
        if modification.status != S.AWAITING_APPROVAL:
            raise Conflict(
                f"modification {modification_id} is {modification.status}, not awaiting approval"
            )
        number = _apply_in(session, modification, actor=actor)
        task = None
        if deploy:
            task = deployments.schedule_deploy(
                session, modification.slug, actor=actor, number=number, here=here
            )
        return modification, task


def reject(modification_id: int, reason: str, *, actor: audit.Actor) -> Modification:
    """A person turns the change down; the reason goes into later prompts for the object."""
    with session_scope() as session:
        modification = get_modification(session, modification_id)
        require(actor, Permission.REJECT, **concerned(session, modification))
        if not reason.strip():
            raise InvalidInput("say why the change is rejected (the reason is required)")
        if modification.status != S.AWAITING_APPROVAL:
            raise Conflict(
                f"modification {modification_id} is {modification.status}, not awaiting approval"
            )
        modification.status = S.REJECTED
        modification.rejection_reason = reason.strip()
        modification.updated_at = utcnow()
        session.add(modification)
        activity.record(
            session,
            actor,
            EventName.MODIFICATION_REJECTED,
            object_id=modification.object_id,
            detail={"modification_id": modification_id, "reason": reason.strip()},
        )
        return modification


def resume(
    modification_id: int, *, budget_usd: float, actor: audit.Actor, here: bool = False
) -> Modification:
    """Give a modification paused for budget a higher budget, and schedule its job again."""
    with session_scope() as session:
        modification = get_modification(session, modification_id)
        require(actor, Permission.RESUME, **concerned(session, modification))
        if modification.status != S.PAUSED_BUDGET:
            raise Conflict(f"modification {modification_id} is {modification.status}, not paused")
        if budget_usd <= modification.cost_usd:
            raise InvalidInput(
                f"the new budget ({budget_usd} USD) must be more than what was spent "
                f"({modification.cost_usd:.4f} USD)"
            )
        modification.budget_usd = budget_usd
        modification.status = S.GENERATING if modification.plan else S.PLANNING
        modification.error = None
        session.add(modification)
        _schedule_run(session, modification, here=here)
        activity.record(
            session,
            actor,
            EventName.MODIFICATION_RESUMED,
            object_id=modification.object_id,
            detail={"modification_id": modification_id, "budget_usd": budget_usd},
        )
        return modification


def concerned(session: Session, modification: Modification) -> dict[str, int | None]:
    """Whose a modification is, for the permission rules: the object's owner and who asked."""
    owner = None
    if modification.object_id is not None:
        obj = store.get_object(session, modification.slug)
        owner = obj.owner_id
    return {"owner_id": owner, "requester_id": modification.requested_by_id}
