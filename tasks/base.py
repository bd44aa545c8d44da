"""The wrapper every job runs in: its Task row goes running -> succeeded | failed.

A job is a plain function taking a `Job` (the Task row's id, kind and params, and a way to
report progress) and returning a JSON object, its result. `@job_task("kind")` registers it as the
Celery task of that name, whose only argument is the Task row id. The wrapper

- claims the row (pending -> running in one conditional UPDATE) and records which process
  holds it; a copy of the message that finds the row no longer pending (a duplicate
  delivery, a republished message whose first copy ran after all, a stale copy of a job
  handed out again) is acknowledged and skipped, so a job never runs twice; when the
  database can't record the start (busy, away), the message is tried again a few seconds
  later (START_RETRIES times), then the row is failed with that reason,
- beats a heartbeat on the row while the job runs, so a sweeper can tell a lost worker from
  a slow job (`backend.background.jobs.recover_lost`),
- marks it succeeded with the returned dict (progress 100),
- marks it failed with the reason when the function raises, and re-raises, so Celery logs it
  too,
- and, through Celery's `task_failure` signal, marks it failed when the process running it is
  lost (killed, out of memory, hard time limit), where no code of the job can run anymore.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from celery import Task as CeleryTask
from celery.signals import task_failure

from backend.background import jobs
from backend.config import get_settings
from backend.db import database_unavailable
from backend.errors import Conflict, NotFound, ProductError
from tasks.celery_app import celery_app

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """What a job function gets: its Task row's id, kind and params, and progress reports."""

    task_id: int
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    #: Also told of each progress report (the CLI's --wait prints them).
    echo: Callable[[int, str], None] | None = None

    def progress(self, percent: int, message: str) -> None:
        """Record how far the job got (0-100); a browser polling the row sees it at once."""
        jobs.report_progress(self.task_id, percent, message)
        if self.echo is not None:
            self.echo(percent, message)


JobFunction = Callable[[Job], dict[str, Any] | None]

#: How often a job whose start the database could not record is tried again, and how long
#: apart (seconds); nothing of the job has run then, so trying again is always safe.
START_RETRIES = 3
START_RETRY_SECONDS = 5


class StartNotRecorded(ProductError):
    """The database could not record that the job starts; the job did not run."""


class JobTask(CeleryTask):
    """Base class of every job's Celery task; marks them for the failure signal below.

    `job_function` is the plain function the task runs; `idempotent` says whether the job
    may simply run again when its worker was lost half-way.
    """

    is_job = True
    idempotent = False
    job_function: JobFunction


def describe(exc: BaseException) -> str:
    """A reason a person can read: a product error's own message, else the type and text."""
    if isinstance(exc, ProductError):
        return str(exc)
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _mark_failed(task_id: int, reason: str) -> None:
    """Mark the row failed unless it already finished; never raises for that case."""
    try:
        jobs.mark_failed(task_id, reason)
    except (Conflict, NotFound) as exc:
        logger.debug("task %s not marked failed: %s", task_id, exc)


class _Heartbeat:
    """A thread that tells the row the job's worker is alive, until the job ends."""

    def __init__(self, task_id: int, worker: str) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, args=(task_id, worker), name=f"heartbeat-{task_id}", daemon=True
        )

    def _beat(self, task_id: int, worker: str) -> None:
        interval = get_settings().job_heartbeat_seconds
        while not self._stop.wait(interval):
            try:
                if not jobs.heartbeat(task_id, worker):
                    return  # finished, or no longer this worker's
            except Exception as exc:  # a missed beat is not the job's failure
                logger.warning("task %s: heartbeat not recorded: %s", task_id, exc)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def run_job(
    task_id: int,
    function: JobFunction,
    *,
    celery_id: str | None = None,
    echo: Callable[[int, str], None] | None = None,
) -> dict[str, Any] | None:
    """Run `function` under the Task row lifecycle; returns its result (None if skipped).

    `celery_id`: the message being run, so a stale copy is skipped; `echo`: also told of
    each progress report.
    """
    worker = jobs.this_worker()
    try:
        task = jobs.mark_running(task_id, celery_id=celery_id, worker=worker)
    except Conflict as exc:
        logger.warning("skipping a job that is not pending: %s", exc)
        return None
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        raise StartNotRecorded(
            f"the database could not record the job's start: {describe(exc)}"
        ) from exc
    job = Job(task_id=task_id, kind=task.kind, params=dict(task.params), echo=echo)
    logger.info("task %s (%s) started in %s", task_id, task.kind, worker)
    try:
        with _Heartbeat(task_id, worker):
            result = function(job)
        result = {} if result is None else result
        jobs.mark_succeeded(task_id, result)
    except Exception as exc:
        # No traceback here: Celery logs it when the exception comes back up.
        logger.warning("task %s (%s) failed: %s", task_id, task.kind, describe(exc))
        _mark_failed(task_id, describe(exc))
        raise
    logger.info("task %s (%s) succeeded", task_id, task.kind)
    return result


def job_task(
    name: str, *, idempotent: bool = False, **options: Any
) -> Callable[[JobFunction], JobTask]:
    """Register `function` as the Celery task `name`, run through `run_job`.

    `idempotent`: the job may run again from the start when its worker was lost; otherwise
    such a job is failed with "worker lost". `options` go to `celery_app.task` (e.g.
    `soft_time_limit`).
    """

    def decorate(function: JobFunction) -> JobTask:
        @functools.wraps(function)
        def run(self: JobTask, task_id: int) -> None:
            # The result lives on the Task row; Celery keeps none (no result backend).
            try:
                run_job(task_id, function, celery_id=self.request.id)
            except StartNotRecorded as exc:
                if self.request.retries >= START_RETRIES:
                    raise  # the failure signal below records the reason on the row
                logger.warning("task %s: %s; trying again", task_id, exc)
                raise self.retry(
                    exc=exc, countdown=START_RETRY_SECONDS, max_retries=START_RETRIES
                ) from exc

        del run.__wrapped__  # Celery checks calls against run's own (self, task_id)
        task = celery_app.task(name=name, base=JobTask, bind=True, **options)(run)
        task.job_function = function
        task.idempotent = idempotent
        return task

    return decorate


@task_failure.connect
def _on_task_failure(
    sender: CeleryTask | None = None,
    exception: BaseException | None = None,
    args: Any = None,
    **_: Any,
) -> None:
    """Mark the Task row failed when a job ended without `run_job` doing it.

    Usually the row is already failed (run_job got there first) and this does nothing. It
    matters when the process running the job was lost, which Celery reports from the worker's
    main process.
    """
    if not getattr(sender, "is_job", False) or not args:
        return
    reason = describe(exception) if exception is not None else "the job ended abnormally"
    try:
        _mark_failed(int(args[0]), reason)
    except Exception:
        # The database is away. Nothing is lost: a row left running is the sweeper's once its
        # heartbeat stops (`recover_lost`), one left pending once no broker holds its
        # message (`republish_lost`); either runs again or ends failed with a reason.
        logger.exception(
            "could not record the failure of task %s; the sweeper will run it again or fail it",
            args[0],
        )
