"""Starting a background job: create its Task row, then hand it to the broker.

`enqueue` reads the settings when it is called (broker, queue, extra job modules), not when
this module was imported, and opens its own short connection for the publish. Every failure
is either refused before anything is written (unknown kind, bad params) or leaves a failed
Task row with the reason and raises: no job is ever lost silently.
"""

from __future__ import annotations

import importlib
import logging
import uuid
from typing import Any

from kombu import Connection
from kombu.utils.url import maybe_sanitize_url

from backend import jobs
from backend.config import Settings, get_settings
from backend.db import session_scope
from backend.errors import Conflict, InvalidInput, ProductError
from tasks.base import describe
from tasks.celery_app import (
    TASK_MODULES,
    broker_transport_options,
    celery_app,
    extra_task_modules,
    prepare_broker,
    uses_redis,
)

logger = logging.getLogger(__name__)

#: Seconds to wait for a Redis connection, and for one reply, when publishing.
PUBLISH_SOCKET_TIMEOUT = 2.0
#: How often a failed connection or publish is tried again, and how long to wait between.
#: With the timeouts above, a dead broker is reported within about ten seconds at worst; a
#: refused connection (nothing listening) within about one.
PUBLISH_RETRY_POLICY: dict[str, float] = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}


class BrokerUnavailable(ProductError):
    """The job could not be handed to the broker; its Task row was marked failed."""

    def __init__(self, message: str, task_id: int) -> None:
        super().__init__(message)
        self.task_id = task_id


def registered_kinds(settings: Settings | None = None) -> set[str]:
    """The job kinds a worker with these settings can run."""
    settings = settings or get_settings()
    for module in (*TASK_MODULES, *extra_task_modules(settings)):
        importlib.import_module(module)
    return {name for name, task in celery_app.tasks.items() if getattr(task, "is_job", False)}


def _publish(settings: Settings, kind: str, task_id: int, celery_id: str) -> None:
    """Send the job's message, with bounded connection and publish retries."""
    prepare_broker(settings)
    options = broker_transport_options(settings)
    if uses_redis(settings):
        options.update(
            socket_connect_timeout=PUBLISH_SOCKET_TIMEOUT, socket_timeout=PUBLISH_SOCKET_TIMEOUT
        )
    # Bounds the retries of establishing the connection (kombu reads these from the
    # transport options; the SQLAlchemy transport drops them before creating its engine).
    options.update(PUBLISH_RETRY_POLICY)
    with Connection(
        settings.broker_url, connect_timeout=PUBLISH_SOCKET_TIMEOUT, transport_options=options
    ) as connection:
        celery_app.send_task(
            kind,
            args=[task_id],
            task_id=celery_id,
            connection=connection,
            queue=settings.celery_queue,
            retry=True,
            retry_policy=PUBLISH_RETRY_POLICY,
            ignore_result=True,
        )


def enqueue(kind: str, params: dict[str, Any] | None = None) -> int:
    """Start the job `kind` with `params`; returns its Task row id.

    Raises `InvalidInput` (nothing written) for an unknown kind or params that are not a
    JSON object, and `BrokerUnavailable` when the broker can't be reached, after marking the
    Task row failed with the reason.
    """
    settings = get_settings()
    kinds = registered_kinds(settings)
    if kind not in kinds:
        raise InvalidInput(f"no job named {kind!r}; known jobs: {', '.join(sorted(kinds))}")
    celery_id = str(uuid.uuid4())
    with session_scope() as session:
        task = jobs.create_task(session, kind, params, celery_id=celery_id)
    task_id = int(task.id)  # committed: the worker can see the row before the message

    try:
        _publish(settings, kind, task_id, celery_id)
    except Exception as exc:
        where = "Redis" if uses_redis(settings) else "the embedded broker"
        reason = (
            f"could not hand the job to {where} at {maybe_sanitize_url(settings.broker_url)}: "
            f"{describe(exc)}"
        )
        try:
            jobs.mark_failed(task_id, reason)
        except Conflict:
            # The message did get through after all and a worker already finished the job.
            logger.warning("publish of task %s reported %s, but it has run", task_id, reason)
            return task_id
        logger.error("task %s (%s) not enqueued: %s", task_id, kind, reason)
        raise BrokerUnavailable(f"task {task_id} ({kind}) failed: {reason}", task_id) from exc
    logger.info("task %s (%s) enqueued on %s", task_id, kind, settings.celery_queue)
    return task_id
