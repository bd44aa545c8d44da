"""The wrapper every job runs in: its Task row goes running -> succeeded | failed.

A job is a plain function taking a `Job` (the Task row's id, kind and params, and a way to
report progress) and returning a JSON object, its result. `@job_task("kind")` registers it as the
Celery task of that name, whose only argument is the Task row id. The wrapper

- marks the row running (a row that already finished, e.g. a message delivered twice, is
  skipped, never run again),
- marks it succeeded with the returned dict (progress 100),
- marks it failed with the reason when the function raises, and re-raises, so Celery logs it
  too,
- and, through Celery's `task_failure` signal, marks it failed when the process running it is
  lost (killed, out of memory, hard time limit), where no code of the job can run anymore.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from celery import Task as CeleryTask
from celery.signals import task_failure

from backend import jobs
from backend.errors import Conflict, NotFound, ProductError
from tasks.celery_app import celery_app

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """What a job function gets: its Task row's id, kind and params, and progress reports."""

    task_id: int
    kind: str
    params: dict[str, Any] = field(default_factory=dict)

    def progress(self, percent: int, message: str) -> None:
        """Record how far the job got (0-100); a browser polling the row sees it at once."""
        jobs.report_progress(self.task_id, percent, message)


JobFunction = Callable[[Job], dict[str, Any] | None]


class JobTask(CeleryTask):
    """Base class of every job's Celery task; marks them for the failure signal below."""

    is_job = True


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


def run_job(task_id: int, function: JobFunction) -> dict[str, Any] | None:
    """Run `function` under the Task row lifecycle; returns its result (None if skipped)."""
    try:
        task = jobs.mark_running(task_id)
    except Conflict as exc:
        logger.warning("skipping a job delivered again: %s", exc)
        return None
    job = Job(task_id=task_id, kind=task.kind, params=dict(task.params))
    logger.info("task %s (%s) started", task_id, task.kind)
    try:
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


def job_task(name: str, **options: Any) -> Callable[[JobFunction], JobTask]:
    """Register `function` as the Celery task `name`, run through `run_job`.

    `options` go to `celery_app.task` (e.g. `soft_time_limit`).
    """

    def decorate(function: JobFunction) -> JobTask:
        @functools.wraps(function)
        def run(task_id: int) -> None:
            # The result lives on the Task row; Celery keeps none (no result backend).
            run_job(task_id, function)

        return celery_app.task(name=name, base=JobTask, **options)(run)

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
        logger.exception("could not record the failure of task %s", args[0])
