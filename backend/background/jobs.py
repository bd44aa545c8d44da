"""The life of a background job's `Task` row: the one place that changes Task rows.

A Task row is what a person sees of a background job: what it is, how far it got and how it
ended. The row is created before the job is handed to the broker, and every later step is
one short transaction of its own, so a browser polling the row sees progress within a
second, whichever process (web, worker, CLI) made it.

Starting a job is `schedule(session, kind, params)`, called by the backend service that
needs the job, inside its own transaction (a transactional outbox): the Task row is written
with the change that asked for it, and only after that transaction commits is the job handed
to the broker by the runner that `tasks/` registers (`register_runner`). If the broker can't
be reached then, nothing is lost: the row stays pending, not yet published, and a worker's
sweeper (`publish_unpublished`) hands it over once the broker answers. A rolled-back
transaction leaves neither row nor message.

A worker records on the row which process holds the job and beats a heartbeat while it runs.
`recover_lost` (the sweeper again) finds running jobs whose worker is gone (its process is
dead, or it stopped beating), and hands them out again when the job is safe to repeat, or
fails them with "worker lost"; no job is left "running" forever.

The database, not the broker, is the record of work. A published job that no worker has
started after JOB_REPUBLISH_AFTER_SECONDS, and whose message the broker no longer holds (a
flushed or restarted Redis, or a worker that took it and could not record its start), is
handed to the broker again by `republish_lost` (the sweeper too), with the same message id;
after JOB_MAX_REPUBLISHES such losses it is failed with the reason. A worker starts a job
with one conditional UPDATE (pending -> running, `mark_running`), so however many copies of
its message arrive, the job runs once; the other copies are acknowledged and skipped.

A job that ends failed may leave behind what it was working on (a notification still
queued); the backend module that owns that registers a handler (`on_failure`), run in the
transaction that records the failure, whichever process records it.

Lifecycle: pending -> running -> succeeded | failed (pending may go straight to either end;
running goes back to pending only when its lost worker's job is handed out again).
A finished task is final: marking it again raises `Conflict`. Each transition is a single
conditional UPDATE (`... WHERE status IN (allowed)`), so two processes racing to finish the
same task cannot both win, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import event, or_, update
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col, select

from backend.access import audit
from backend.config import get_settings
from backend.db import innermost_transaction, session_scope, within
from backend.enums import EventName, TaskStatus
from backend.errors import Conflict, InvalidInput, NotFound, ProductError
from backend.events import activity
from backend.models import Task, utcnow

logger = logging.getLogger(__name__)

#: Statuses a task can still leave.
OPEN_STATUSES = (TaskStatus.PENDING, TaskStatus.RUNNING)
#: Statuses a task never leaves.
FINISHED_STATUSES = (TaskStatus.SUCCEEDED, TaskStatus.FAILED)

KIND_MAX_LENGTH = 64
#: Longest error text kept on the row and in the task.failed event; tracebacks can be huge.
ERROR_MAX_LENGTH = 10_000
LATEST_MAX = 500


def _json_object(value: Any, what: str) -> dict[str, Any]:
    """Refuse anything that is not a JSON object, before it reaches a JSON column."""
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be a JSON object (a dict), not {type(value).__name__}")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{what} is not JSON-serialisable: {exc}") from exc
    return value


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    suffix = f"... [clipped; {len(text)} characters in all]"
    return text[: limit - len(suffix)] + suffix


def _update(session: Session, where: list[Any], **values: Any) -> int:
    """UPDATE the Task rows matching every condition in `where`; how many rows it changed.

    Every change of a Task row is one conditional UPDATE like this, so two processes racing
    to change the same row cannot both win.
    """
    statement = update(Task).where(*where).values(**values)
    return session.execute(statement.execution_options(synchronize_session=False)).rowcount


def _transition(
    session: Session,
    task_id: int,
    allowed: Iterable[str],
    action: str,
    *,
    also: Iterable[Any] = (),
    refused: str = "",
    **values: Any,
) -> Task:
    """Apply `values` to the task if its status is one of `allowed` (and the conditions in
    `also` hold), else explain why not (`refused`: why, when only `also` failed).

    The UPDATE is the first statement of the transaction, so on SQLite it takes the write
    lock straight away (no stale read to upgrade) and on PostgreSQL it locks the row.
    """
    changed = _update(
        session,
        [col(Task.id) == task_id, col(Task.status).in_(list(allowed)), *also],
        **values,
    )
    task = session.get(Task, task_id, populate_existing=True)
    if task is None:
        raise NotFound(f"task {task_id} does not exist")
    if changed == 0 and task.status in allowed:
        raise Conflict(f"cannot {action} task {task_id} ({task.kind}): {refused}")
    if changed == 0:
        raise Conflict(
            f"cannot {action} task {task_id} ({task.kind}): it is already {task.status}"
            + (" and finished tasks are final" if task.status in FINISHED_STATUSES else "")
        )
    return task


def create_task(
    session: Session,
    kind: str,
    params: dict[str, Any] | None = None,
    *,
    celery_id: str | None = None,
) -> Task:
    """Add a pending Task row to `session` and flush it, so its id is known.

    The caller commits (usually by leaving `session_scope()`): a job must not be handed to a
    broker before its row is visible to the worker that will pick it up.
    """
    kind = (kind or "").strip()
    if not kind:
        raise InvalidInput("a task needs a kind, e.g. 'system.check'")
    if len(kind) > KIND_MAX_LENGTH:
        raise InvalidInput(f"task kind is longer than {KIND_MAX_LENGTH} characters: {kind!r}")
    task = Task(
        kind=kind,
        params=_json_object(params if params is not None else {}, "task params"),
        status=TaskStatus.PENDING,
        progress=0,
        message="waiting for a worker",
        celery_id=celery_id,
    )
    session.add(task)
    session.flush()
    return task


def this_worker() -> str:
    """How a task row names the process running it: "host:pid"."""
    return f"{socket.gethostname()}:{os.getpid()}"


def mark_running(task_id: int, *, celery_id: str | None = None, worker: str = "") -> Task:
    """A worker claims the task; records who holds it. Only a pending task can start.

    The claim is one conditional UPDATE (pending -> running), so of two copies of the same
    message (a duplicate delivery, or a republished one) exactly one starts the job; the
    other gets `Conflict`. With `celery_id`, only the message the row was last handed out as
    may start it: a stale copy (one the broker delivered again after the sweeper handed a
    lost worker's job out anew) is refused with `Conflict` too.
    """
    also = []
    if celery_id is not None:
        also.append(or_(col(Task.celery_id).is_(None), col(Task.celery_id) == celery_id))
    with session_scope() as session:
        task = _transition(
            session,
            task_id,
            (TaskStatus.PENDING,),
            "start",
            also=also,
            refused="it was handed out again; this copy is stale",
            status=TaskStatus.RUNNING,
            started_at=utcnow(),
            heartbeat_at=utcnow(),
            worker=worker or this_worker(),
            message="started",
            error=None,
        )
        return task


def heartbeat(task_id: int, worker: str) -> bool:
    """The job's worker is alive; False when the row is no longer that worker's to run."""
    with session_scope() as session:
        changed = _update(
            session,
            [
                col(Task.id) == task_id,
                col(Task.status) == TaskStatus.RUNNING,
                col(Task.worker) == worker,
            ],
            heartbeat_at=utcnow(),
        )
        return changed == 1


def report_progress(task_id: int, progress: int, message: str = "") -> Task:
    """Record how far an open task got (clamped to 0-100), committed at once.

    The status is left as it is; only open tasks take progress reports.
    """
    clamped = max(0, min(100, int(progress)))
    with session_scope() as session:
        return _transition(
            session,
            task_id,
            OPEN_STATUSES,
            "report progress on",
            progress=clamped,
            message=message,
            heartbeat_at=utcnow(),  # a report is a sign of life too
        )


def mark_succeeded(task_id: int, result: dict[str, Any], message: str = "") -> Task:
    """The task finished well: keep its result (a JSON object) and set progress to 100."""
    result = _json_object(result, "task result")
    with session_scope() as session:
        return _transition(
            session,
            task_id,
            OPEN_STATUSES,
            "mark succeeded",
            status=TaskStatus.SUCCEEDED,
            progress=100,
            result=result,
            error=None,
            message=message or "done",
            finished_at=utcnow(),
        )


#: What a failed job of a kind leaves to settle, run in the transaction recording the failure.
FailureHandler = Callable[[Session, Task], None]
_failure_handlers: dict[str, list[FailureHandler]] = {}


def on_failure(kind: str, handler: FailureHandler) -> None:
    """Have `handler(session, task)` run whenever a job of `kind` is marked failed.

    It runs in the transaction that records the failure (so the two commit together) and
    must only write through that session. The module that owns what the job works on
    registers it at import; a handler that raises is logged and the failure is recorded
    without it.
    """
    handlers = _failure_handlers.setdefault(kind, [])
    if handler not in handlers:
        handlers.append(handler)


class _HandlerFailed(Exception):
    """A failure handler raised; the failure is recorded again without handlers."""


def _record_failure(
    task_id: int, error: str, actor: audit.Actor, allowed: Iterable[str], handlers: bool
) -> Task:
    with session_scope() as session:
        task = _transition(
            session,
            task_id,
            allowed,
            "mark failed",
            status=TaskStatus.FAILED,
            error=error,
            message=_clip(f"failed: {error.splitlines()[0]}", 300),
            finished_at=utcnow(),
        )
        activity.record(
            session,
            actor,
            EventName.TASK_FAILED,
            detail={"task_id": task.id, "kind": task.kind, "error": error},
        )
        for handler in _failure_handlers.get(task.kind, []) if handlers else []:
            try:
                handler(session, task)
            except Exception as exc:
                raise _HandlerFailed(f"{getattr(handler, '__qualname__', handler)}") from exc
        return task


def mark_failed(
    task_id: int,
    error: str,
    *,
    actor: audit.Actor = audit.SYSTEM,
    allowed: Iterable[str] = OPEN_STATUSES,
) -> Task:
    """The task failed: keep the reason and record `task.failed`, in one transaction, with
    what its kind's failure handlers settle (`on_failure`).

    Progress is left where the task got to, so a person sees how far it went. `allowed`:
    the statuses it may be failed from (the sweeper fails only tasks still pending).
    """
    error = _clip(str(error).strip() or "failed without a reason given", ERROR_MAX_LENGTH)
    allowed = tuple(allowed)
    try:
        return _record_failure(task_id, error, actor, allowed, handlers=True)
    except _HandlerFailed as exc:
        logger.error(
            "task %s: its failure handler %s raised; recording the failure without it",
            task_id,
            exc,
            exc_info=exc.__cause__,
        )
    return _record_failure(task_id, error, actor, allowed, handlers=False)


def get_task(session: Session, task_id: int) -> Task:
    """The task with this id, or `NotFound`."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"task {task_id} does not exist")
    return task


def latest_tasks(session: Session, limit: int = 20) -> list[Task]:
    """The newest tasks first (at most `limit`, which must be 1-500)."""
    if not 1 <= limit <= LATEST_MAX:
        raise InvalidInput(f"limit must be between 1 and {LATEST_MAX}, not {limit}")
    statement = select(Task).order_by(col(Task.created_at).desc(), col(Task.id).desc()).limit(limit)
    return list(session.exec(statement))


# --- the outbox: scheduling jobs in the caller's transaction ---------------------------------


class Runner(Protocol):
    """What `tasks/` registers so the backend can start jobs without importing Celery."""

    def kinds(self) -> set[str]:
        """The job kinds a worker can run."""

    def idempotent(self, kind: str) -> bool:
        """Whether a job of `kind` may simply run again after its worker was lost."""

    def publish(self, kind: str, task_id: int, celery_id: str) -> None:
        """Hand the job to the broker; raises when the broker can't be reached."""

    def held(self, recent_seconds: float) -> set[str] | None:
        """The message ids the broker still holds for the job queue: waiting, or taken by a
        worker less than `recent_seconds` ago and not yet acknowledged. None when this broker
        can't tell; raises when it can't be reached."""

    def run_here(self, task_id: int, echo: Callable[[int, str], None] | None) -> None:
        """Run the job in this process (the CLI's --wait); its outcome lands on the row."""


_runner: Runner | None = None
_OUTBOX = "jobs_outbox"
#: A pending, never published row younger than this is left to the process that wrote it
#: (it publishes right after its commit); older ones are the sweeper's.
OUTBOX_GRACE = timedelta(seconds=2)


def register_runner(runner: Runner) -> None:
    """Called by `tasks/` at import: from then on, committed jobs are handed to the broker."""
    global _runner
    _runner = runner


def _require_runner() -> Runner:
    if _runner is None:
        raise ProductError(
            "no job runner is loaded in this process (import tasks.dispatch), so the job "
            "could not be scheduled"
        )
    return _runner


def schedule(
    session: Session, kind: str, params: dict[str, Any] | None = None, *, here: bool = False
) -> Task:
    """Write a pending job in the caller's transaction; it is started once that commits.

    The job is handed to the broker after the commit (never before, so a worker always finds
    its row, and never for a transaction that rolled back). `here=True` is for a door that
    runs the job itself (`run_here`): the row is never published. Unknown kinds and params
    that are not a JSON object are refused with `InvalidInput`.
    """
    runner = _require_runner()
    kinds = runner.kinds()
    if kind not in kinds:
        raise InvalidInput(f"no job named {kind!r}; known jobs: {', '.join(sorted(kinds))}")
    task = create_task(session, kind, params, celery_id=str(uuid.uuid4()))
    if here:
        task.published_at = utcnow()
        task.message = "running in the command that asked for it"
        session.add(task)
    else:
        # Tagged with the innermost transaction: a savepoint that rolls back takes its jobs.
        session.info.setdefault(_OUTBOX, []).append((task.id, innermost_transaction(session)))
    return task


def start(kind: str, params: dict[str, Any] | None = None) -> Task:
    """Start the job `kind` on its own, in its own transaction: for jobs no action starts
    (checks, benchmarks, tests). An action that starts a job as part of a change calls
    `schedule` inside its transaction instead."""
    with session_scope() as session:
        return schedule(session, kind, params)


def kind_of(task_id: int) -> str:
    """The kind of the job with this id (`NotFound` for none), read in its own session."""
    with session_scope() as session:
        return get_task(session, task_id).kind


def run_here(task_id: int, echo: Callable[[int, str], None] | None = None) -> Task:
    """Run a job scheduled with `here=True` in this process; returns its finished row."""
    _require_runner().run_here(task_id, echo)
    with session_scope() as session:
        return get_task(session, task_id)


# SQLAlchemy calls `after_commit` when a SAVEPOINT is released too (every event subscriber runs
# in one, `events.activity`), while the outer transaction is still open and, on SQLite, holds
# the write lock: publishing then would wait for a lock this very thread holds (SQLite's
# busy_timeout, 10 s, then "database is locked"), or on PostgreSQL find the row not yet
# visible. A job is handed over only when the outermost transaction has committed.
@event.listens_for(Session, "after_commit")
def _publish_committed(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: its jobs now belong to the enclosing transaction
    for task_id, _transaction in session.info.pop(_OUTBOX, []):
        try:
            publish(task_id)
        except Exception:  # never let a publish failure reach the code that committed
            logger.exception("task %s: could not be handed to the broker", task_id)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, rolled_back: SessionTransaction) -> None:
    """Forget the jobs scheduled in the transaction that rolled back, savepoints inside it
    included; a rolled-back savepoint leaves the enclosing transaction's jobs alone."""
    outbox = session.info.get(_OUTBOX)
    if not outbox:
        return
    kept = [entry for entry in outbox if not within(entry[1], rolled_back)]
    if kept:
        session.info[_OUTBOX] = kept
    else:
        session.info.pop(_OUTBOX, None)


def _claim(task_id: int) -> Task | None:
    """Mark an unpublished pending row as being published; None when it isn't ours to."""
    with session_scope() as session:
        changed = _update(
            session,
            [
                col(Task.id) == task_id,
                col(Task.status) == TaskStatus.PENDING,
                col(Task.published_at).is_(None),
            ],
            published_at=utcnow(),
        )
        if changed != 1:
            return None
        return session.get(Task, task_id, populate_existing=True)


def publish(task_id: int) -> bool:
    """Hand a committed, unpublished job to the broker; True when it was handed over now.

    When the broker can't be reached the row goes back to unpublished with the reason in
    its message, and the sweeper tries again later.
    """
    task = _claim(task_id)
    if task is None:
        return False
    return _hand_over(task)


def _hand_over(task: Task) -> bool:
    """Send a row already marked published; on failure, mark it unpublished again."""
    task_id = int(task.id)
    try:
        _require_runner().publish(task.kind, task_id, str(task.celery_id))
    except Exception as exc:
        reason = str(exc) or type(exc).__name__
        with session_scope() as session:
            _update(
                session,
                [col(Task.id) == task_id, col(Task.status) == TaskStatus.PENDING],
                published_at=None,
                message=_clip(
                    f"waiting for the broker ({reason}); it starts once the broker is back",
                    300,
                ),
            )
        logger.warning("task %s (%s) not handed to the broker yet: %s", task_id, task.kind, reason)
        return False
    logger.info("task %s (%s) handed to the broker", task_id, task.kind)
    return True


def publish_unpublished(now: datetime | None = None) -> int:
    """The sweeper's first half: publish jobs whose hand-over failed; how many went out."""
    cutoff = (now or utcnow()) - OUTBOX_GRACE
    with session_scope() as session:
        ids = session.exec(
            select(Task.id)
            .where(
                col(Task.status) == TaskStatus.PENDING,
                col(Task.published_at).is_(None),
                col(Task.created_at) < cutoff,
            )
            .order_by(col(Task.id))
        ).all()
    return sum(publish(int(task_id)) for task_id in ids)


# --- lost messages ------------------------------------------------------------------------


def _claim_republish(task: Task) -> Task | None:
    """Mark a published, still pending row as handed over again; None if it moved meanwhile.

    Compared on the republish count, so of two sweepers only one sends it again.
    """
    with session_scope() as session:
        changed = _update(
            session,
            [
                col(Task.id) == task.id,
                col(Task.status) == TaskStatus.PENDING,
                col(Task.published_at).is_not(None),
                col(Task.republishes) == task.republishes,
            ],
            published_at=utcnow(),
            republishes=task.republishes + 1,
            message=_clip(
                "no worker had it and the broker had lost its message; handed to the broker "
                f"again (time {task.republishes + 1})",
                300,
            ),
        )
        if changed != 1:
            return None
        return session.get(Task, task.id, populate_existing=True)


def republish_lost(now: datetime | None = None) -> dict[str, list[int]]:
    """The sweeper's third part: hand the broker again the jobs whose message it lost.

    A job handed to the broker JOB_REPUBLISH_AFTER_SECONDS ago (or longer) that is still
    pending, and whose message the broker holds neither waiting nor with a worker that took
    it within that time, is handed over again with the same message id; so is every such
    job when the broker can't tell what it holds (a copy that is still queued is then
    harmless: the job starts once, `mark_running`). A job lost JOB_MAX_REPUBLISHES times is
    failed with the reason. While the broker can't be reached nothing is done: nothing can
    be handed to it anyway. Returns the ids {"republished": [...], "failed": [...]}.
    """
    settings = get_settings()
    after = settings.job_republish_after_seconds
    cutoff = (now or utcnow()) - timedelta(seconds=after)
    outcome: dict[str, list[int]] = {"republished": [], "failed": []}
    with session_scope() as session:
        waiting = list(
            session.exec(
                select(Task)
                .where(
                    col(Task.status) == TaskStatus.PENDING,
                    col(Task.published_at).is_not(None),
                    col(Task.published_at) < cutoff,
                )
                .order_by(col(Task.id))
            )
        )
    if not waiting:
        return outcome
    try:
        held = _require_runner().held(after)
    except Exception as exc:
        logger.warning("could not ask the broker which jobs it holds: %s", exc)
        return outcome
    for task in waiting:
        if held is not None and task.celery_id in held:
            continue  # still queued behind others, or just taken: not lost
        if task.republishes >= settings.job_max_republishes:
            reason = (
                f"no worker started it: its message was lost {task.republishes + 1} times "
                "(the broker lost its queue, or the worker that took it could not record "
                "its start)"
            )
            try:
                mark_failed(int(task.id), reason, allowed=(TaskStatus.PENDING,))
            except Conflict:
                continue  # a worker started it meanwhile
            logger.warning("task %s (%s) failed: %s", task.id, task.kind, reason)
            outcome["failed"].append(int(task.id))
            continue
        claimed = _claim_republish(task)
        if claimed is None:
            continue
        logger.warning(
            "task %s (%s): published %s but no worker has it; handing it over again",
            task.id,
            task.kind,
            task.published_at.isoformat(timespec="seconds") if task.published_at else "?",
        )
        if _hand_over(claimed):
            outcome["republished"].append(int(task.id))
    return outcome


# --- lost workers -------------------------------------------------------------------------


def _process_gone(worker: str | None) -> bool:
    """Whether `worker` ("host:pid") is a process on this machine that no longer exists."""
    host, _, pid = (worker or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _lost(task: Task, cutoff: datetime) -> str:
    """Why a running task's worker counts as lost, or "" while it seems alive."""
    if _process_gone(task.worker):
        return f"its worker {task.worker} is gone"
    last = task.heartbeat_at or task.started_at
    if last is None or last < cutoff:
        seen = last.isoformat(timespec="seconds") if last else "never"
        return f"its worker {task.worker or '(unknown)'} stopped reporting (last seen {seen})"
    return ""


def _hand_out_again(task: Task, why: str) -> bool:
    """Put a running task back to pending, unpublished, as a new message; False if it moved."""
    with session_scope() as session:
        changed = _update(
            session,
            [
                col(Task.id) == task.id,
                col(Task.status) == TaskStatus.RUNNING,
                col(Task.worker).is_(None)
                if task.worker is None
                else col(Task.worker) == task.worker,
            ],
            status=TaskStatus.PENDING,
            published_at=None,
            celery_id=str(uuid.uuid4()),
            worker=None,
            redeliveries=task.redeliveries + 1,
            message=_clip(f"{why}; handed to a worker again", 300),
        )
        return changed == 1


def recover_lost(now: datetime | None = None) -> dict[str, list[int]]:
    """The sweeper's second half: jobs whose worker is lost are run again or failed.

    A job its runner calls idempotent is handed out again, at most JOB_MAX_REDELIVERIES
    times; any other (or one lost too often) is failed with the reason "worker lost: ...".
    Returns the ids {"redelivered": [...], "failed": [...]}.
    """
    settings = get_settings()
    runner = _require_runner()
    cutoff = (now or utcnow()) - timedelta(seconds=settings.job_lost_seconds)
    with session_scope() as session:
        running = list(session.exec(select(Task).where(col(Task.status) == TaskStatus.RUNNING)))
    outcome: dict[str, list[int]] = {"redelivered": [], "failed": []}
    for task in running:
        why = _lost(task, cutoff)
        if not why:
            continue
        again = runner.idempotent(task.kind) and task.redeliveries < settings.job_max_redeliveries
        if again and _hand_out_again(task, why):
            logger.warning("task %s (%s): %s; handed out again", task.id, task.kind, why)
            publish(int(task.id))
            outcome["redelivered"].append(int(task.id))
            continue
        if again:
            continue  # it moved on meanwhile (finished, or another sweeper took it)
        tries = f" (after {task.redeliveries} redeliveries)" if task.redeliveries else ""
        try:
            mark_failed(int(task.id), f"worker lost: {why}{tries}")
        except Conflict:
            continue
        logger.warning("task %s (%s) failed: worker lost: %s", task.id, task.kind, why)
        outcome["failed"].append(int(task.id))
    return outcome


def sweep() -> dict[str, Any]:
    """One round of the worker's sweeper: recover lost jobs, hand over again the jobs whose
    message the broker lost, then publish what is waiting."""
    lost = recover_lost()
    again = republish_lost()
    return {
        **lost,
        **again,
        "failed": lost["failed"] + again["failed"],
        "published": publish_unpublished(),
    }
