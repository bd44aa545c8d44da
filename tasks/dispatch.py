"""How the backend's jobs reach Celery: the runner `backend.background.jobs` hands committed jobs
to.

Importing this module registers the runner (`backend.background.jobs.register_runner`), so every
process that starts jobs (the web app, the CLI, a worker) imports it once. Backend services
schedule their own jobs (`backend.background.jobs.schedule`) in their own transaction; this module
only
publishes them once that transaction commits, and runs one in-process for the CLI's --wait.

A publish reads the settings when it happens (broker, queue, extra job modules), not when
this module was imported, and opens its own short connection. A broker that can't be
reached leaves the job pending and unpublished, for the worker's sweeper to hand over later.

Celery, kombu and redis are imported when a job is first published, looked for or run, not
with this module: every CLI command imports it, and most of them start no job.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, inspect, text

from backend.background import jobs
from backend.config import Settings, get_settings
from backend.errors import ProductError

if TYPE_CHECKING:
    from tasks.base import JobTask

logger = logging.getLogger(__name__)

#: Seconds to wait for a Redis connection, and for one reply, when publishing.
PUBLISH_SOCKET_TIMEOUT = 2.0
#: How often a failed connection or publish is tried again, and how long to wait between.
#: A publish happens right after a commit, often in a web request: a dead broker must be
#: given up on within a few seconds; the sweeper tries again later anyway.
PUBLISH_RETRY_POLICY: dict[str, float] = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}


def job_tasks(settings: Settings | None = None) -> dict[str, JobTask]:
    """The job tasks a worker with these settings can run, by kind."""
    from tasks.celery_app import TASK_MODULES, celery_app, extra_task_modules

    settings = settings or get_settings()
    for module in (*TASK_MODULES, *extra_task_modules(settings)):
        importlib.import_module(module)
    return {name: task for name, task in celery_app.tasks.items() if getattr(task, "is_job", False)}


def registered_kinds(settings: Settings | None = None) -> set[str]:
    """The job kinds a worker with these settings can run."""
    return set(job_tasks(settings))


def _publish(settings: Settings, kind: str, task_id: int, celery_id: str) -> None:
    """Send the job's message, with bounded connection and publish retries."""
    from kombu import Connection

    from tasks.celery_app import broker_transport_options, celery_app, prepare_broker, uses_redis

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


def _message_ids(payloads: Iterable[str | bytes]) -> set[str]:
    """The Celery task ids (`headers.id`) of kombu message payloads; unreadable ones skipped."""
    ids = set()
    for payload in payloads:
        try:
            message = json.loads(payload)
            if isinstance(message, list):  # Redis' unacked hash: [message, exchange, key]
                message = message[0]
            ids.add(str(message["headers"]["id"]))
        except (ValueError, KeyError, IndexError, TypeError):
            continue
    return ids


def _redis_held(settings: Settings, recent_seconds: float) -> set[str]:
    """The job ids in the Redis queue, and those a worker took within `recent_seconds`.

    Reads kombu's keys as its Redis transport lays them out: the queue is a list per
    priority step, what workers took and have not acknowledged is the hash `unacked`,
    stamped with the time each was taken in the sorted set `unacked_index`.
    """
    import redis
    from kombu.transport.redis import PRIORITY_STEPS
    from kombu.transport.redis import Channel as RedisChannel

    from tasks.celery_app import broker_transport_options

    prefix = broker_transport_options(settings)["global_keyprefix"]
    queue = f"{prefix}{settings.celery_queue}"
    lists = [queue, *(f"{queue}{RedisChannel.sep}{step}" for step in PRIORITY_STEPS if step)]
    client = redis.Redis.from_url(
        settings.broker_url,
        socket_connect_timeout=PUBLISH_SOCKET_TIMEOUT,
        socket_timeout=PUBLISH_SOCKET_TIMEOUT,
    )
    try:
        pipe = client.pipeline(transaction=False)
        for key in lists:
            pipe.lrange(key, 0, -1)
        pipe.zrangebyscore(
            f"{prefix}{RedisChannel.unacked_index_key}", time.time() - recent_seconds, "+inf"
        )
        *queued, recent_tags = pipe.execute()
        taken = (
            client.hmget(f"{prefix}{RedisChannel.unacked_key}", recent_tags) if recent_tags else []
        )
    finally:
        client.close()
    return _message_ids(item for items in queued for item in items) | _message_ids(
        item for item in taken if item is not None
    )


def _embedded_held(settings: Settings, recent_seconds: float) -> set[str]:
    """The job ids waiting in the embedded broker, and those delivered within `recent_seconds`
    (kombu's SQLAlchemy transport marks a delivered message invisible and stamps it)."""
    engine = create_engine(settings.broker_url.removeprefix("sqla+"))
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("kombu_message"):
                return set()
            rows = connection.execute(
                text(
                    "SELECT m.payload FROM kombu_message m JOIN kombu_queue q ON m.queue_id = q.id"
                    " WHERE q.name = :queue AND (m.visible = :yes OR m.timestamp > :recent)"
                ),
                {
                    "queue": settings.celery_queue,
                    "yes": True,
                    # kombu stamps a delivered message in the machine's local time.
                    "recent": datetime.now() - timedelta(seconds=recent_seconds),
                },
            )
            return _message_ids(row[0] for row in rows)
    finally:
        engine.dispose()


class CeleryRunner:
    """`backend.background.jobs.Runner` for Celery: publish to the configured broker, or run
    here."""

    def kinds(self) -> set[str]:
        return registered_kinds()

    def idempotent(self, kind: str) -> bool:
        task = job_tasks().get(kind)
        return bool(task is not None and task.idempotent)

    def publish(self, kind: str, task_id: int, celery_id: str) -> None:
        from kombu.utils.url import maybe_sanitize_url

        from tasks.base import describe
        from tasks.celery_app import uses_redis

        settings = get_settings()
        try:
            _publish(settings, kind, task_id, celery_id)
        except Exception as exc:
            where = "Redis" if uses_redis(settings) else "the embedded broker"
            url = maybe_sanitize_url(settings.broker_url)
            raise ProductError(f"{where} at {url}: {describe(exc)}") from exc

    def held(self, recent_seconds: float) -> set[str] | None:
        from tasks.celery_app import uses_redis

        settings = get_settings()
        if not uses_redis(settings):
            return _embedded_held(settings, recent_seconds)
        if settings.broker_url.startswith("redis+socket://"):
            return None  # a socket URL redis-py can't open as is: republish on time alone
        return _redis_held(settings, recent_seconds)

    def run_here(self, task_id: int, echo: Callable[[int, str], None] | None) -> None:
        from tasks.base import run_job

        kind = jobs.kind_of(task_id)
        task = job_tasks().get(kind)
        if task is None:
            raise ProductError(f"no job named {kind!r} in this process")
        # A refusal or failure is recorded on the row: the caller reads the outcome there.
        with contextlib.suppress(ProductError):
            run_job(task_id, task.job_function, echo=echo)


RUNNER = CeleryRunner()
jobs.register_runner(RUNNER)


def enqueue(kind: str, params: dict[str, Any] | None = None) -> int:
    """Start the job `kind` with `params` on its own; returns its Task row id.

    For jobs that no backend service starts (checks, benchmarks, tests). A service that
    starts a job as part of a change calls `backend.background.jobs.schedule` in its own
    transaction.
    """
    return int(jobs.start(kind, params).id)
