"""The Celery application, configured from `backend.config` settings.

Start a worker with `scripts/run.py --only worker` (add `--beat` on exactly one of them), or
with the command `worker_argv()` returns:

    python -m celery -A tasks.celery_app:celery_app worker --loglevel=INFO --concurrency=1 \
        -n worker-<pid>@%h [--beat]

Broker: Redis when REDIS_URL is set, else kombu's SQLAlchemy transport on a SQLite file under
DATA_DIR (no server needed). There is no result backend: the `Task` row (see
`backend.background.jobs`) already records status, progress, result and error where every door can
read
it, and a second copy in a backend would only be another thing to keep in step and expire.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from datetime import datetime, timedelta
from typing import Any

from celery import Celery
from celery.exceptions import SecurityWarning
from celery.signals import worker_process_init, worker_ready
from sqlalchemy import create_engine, inspect, text

import backend.assistant  # noqa: F401  (subscribes the assistant's reports to events)
from backend.config import Settings, get_settings
from backend.db import database_status, get_engine

logger = logging.getLogger(__name__)

#: Where the worker finds the app; used by `worker_argv`.
APP_PATH = "tasks.celery_app:celery_app"
#: Modules that register the product's jobs; the worker and `enqueue` import them.
#: tasks.dispatch registers no job: it gives the worker's own code (jobs that schedule more
#: jobs, the sweeper) the runner that hands jobs to the broker. tasks.sweeper, tasks.metrics
#: and tasks.monitoring start their threads when the worker is ready (`worker_ready`); named here,
#: not imported, so this module imports none of the modules that import it.
TASK_MODULES = (
    "tasks.system",
    "tasks.pipeline",
    "tasks.notifications",
    "tasks.commands",
    "tasks.monitoring",
    "tasks.sweeper",
    "tasks.metrics",
    "tasks.dispatch",
)

_REDIS_SCHEMES = ("redis://", "rediss://", "redis+socket://")

# As root (the usual case in a container) Celery warns in seven lines at every start; the
# worker says it in one instead (`_say_if_root`). Only that warning is left out: Celery's
# refusal to run pickled messages as root, and every other warning, stay as they are.
warnings.filterwarnings(
    "ignore",
    message="You're running the worker with superuser privileges",
    category=SecurityWarning,
)


def uses_redis(settings: Settings) -> bool:
    """Whether the broker is Redis (else the embedded SQLite broker)."""
    return settings.broker_url.startswith(_REDIS_SCHEMES)


def extra_task_modules(settings: Settings) -> tuple[str, ...]:
    """The modules named in CELERY_IMPORTS (plugins, test-only jobs)."""
    return tuple(name.strip() for name in settings.celery_imports.split(",") if name.strip())


def broker_transport_options(settings: Settings) -> dict[str, Any]:
    """Transport options for the configured broker.

    The SQLAlchemy transport hands its options to `create_engine`, so it gets none. Redis
    gets socket timeouts (a broker that vanishes without closing the connection must not
    hang a publish forever) and a key prefix named after the queue, so deployments or test
    runs sharing one Redis database never see each other's messages.
    """
    if not uses_redis(settings):
        return {}
    return {
        "global_keyprefix": f"{settings.celery_queue}:",
        "socket_connect_timeout": 5,
        "socket_timeout": 10,
        "visibility_timeout": 3600,
    }


def prepare_broker(settings: Settings) -> None:
    """Make sure DATA_DIR exists: the embedded broker's SQLite file and beat's schedule file
    live there, and SQLite and beat create files, not folders. Needed with Redis and
    PostgreSQL too (a fresh clone has no `data/`, and beat would fail at start)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)


#: Delivered messages the embedded broker keeps this long (kombu's SQLAlchemy transport marks
#: a delivered message invisible and never deletes it); a starting worker deletes older ones.
DELIVERED_KEPT = timedelta(days=1)


def prune_embedded_broker(settings: Settings, older_than: timedelta = DELIVERED_KEPT) -> int:
    """Delete the embedded broker's messages delivered more than `older_than` ago; how many.

    Only delivered ones: a message still waiting for a worker is never touched. Nothing to
    do with Redis (it deletes what it delivers) or before the broker's first message.
    """
    if uses_redis(settings):
        return 0
    # kombu stamps a message when it is delivered, in the machine's local time.
    cutoff = datetime.now() - older_than
    engine = create_engine(settings.broker_url.removeprefix("sqla+"))
    try:
        with engine.begin() as connection:
            if not inspect(connection).has_table("kombu_message"):
                return 0
            deleted = connection.execute(
                text("DELETE FROM kombu_message WHERE visible = 0 AND timestamp < :cutoff"),
                {"cutoff": cutoff},
            )
            return deleted.rowcount
    finally:
        engine.dispose()


def celery_config(settings: Settings) -> dict[str, Any]:
    """The Celery settings for these product settings."""
    return {
        "broker_url": settings.broker_url,
        "broker_transport_options": broker_transport_options(settings),
        # A worker started before Redis is up keeps trying instead of exiting.
        "broker_connection_retry_on_startup": True,
        "broker_connection_retry": True,
        "broker_connection_timeout": 5,
        "result_backend": None,
        "task_ignore_result": True,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_default_queue": settings.celery_queue,
        # A job's message is acknowledged only once it has run, one job at a time per process:
        # a worker that dies mid-job leaves the message to be delivered again. The Task row
        # makes that safe: a finished task is skipped, a running one is started afresh.
        "task_acks_late": True,
        "worker_prefetch_multiplier": 1,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "imports": extra_task_modules(settings),
        "enable_utc": True,
        "timezone": "UTC",
        # The one worker started with `--beat` runs this schedule: metric monitors are checked.
        "beat_schedule": {
            "check-metric-monitors": {
                "task": "monitors.check_metrics",
                "schedule": settings.metric_check_seconds,
                "options": {
                    "queue": settings.celery_queue,
                    "expires": settings.metric_check_seconds,
                },
            }
        },
        "beat_schedule_filename": str(settings.data_dir / "celerybeat-schedule"),
    }


def node_name(pid: int | None = None) -> str:
    """A Celery node name unique on this machine: `worker-<pid>@<host>` (Celery fills in %h).

    Workers that share a name (Celery's default is `celery@<host>`) confuse the broker's
    control commands and make Celery warn `DuplicateNodenameWarning`.
    """
    return f"worker-{os.getpid() if pid is None else pid}@%h"


def worker_argv(*, beat: bool = False, name: str | None = None) -> list[str]:
    """The command that starts a worker for this app (run script and tests share it).

    `beat`: this worker also runs Celery beat (the schedule in `celery_config`); exactly one
    worker of a deployment should, or every scheduled job runs once per beat. `name`: the
    node name, by default `node_name()` of the calling process (the run script execs the
    worker, so that is the worker's own pid).
    """
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        APP_PATH,
        "worker",
        "--loglevel=INFO",
        "--concurrency=1",
        "-n",
        name or node_name(),
    ]
    if beat:
        argv.append("--beat")
    return argv


def _make_app() -> Celery:
    settings = get_settings()
    prepare_broker(settings)
    app = Celery("durable_objects", include=list(TASK_MODULES))
    app.conf.update(celery_config(settings))
    return app


celery_app = _make_app()


@worker_ready.connect
def _report_database(**_: Any) -> None:
    """Say loudly at start when the worker cannot record its jobs (no database, old schema)."""
    status = database_status()
    # The main process needs no open connection; pool processes forked later must not
    # inherit one.
    get_engine().dispose()
    if not status.get("ok"):
        logger.error("worker cannot reach the database; jobs will fail: %s", status.get("error"))
    elif not status.get("up_to_date"):
        logger.error(
            "database schema is at %s, not the newest; run the migrations before the worker",
            status.get("revision"),
        )
    else:
        logger.info("database %s ready (revision %s)", status["backend"], status["revision"])
    try:
        pruned = prune_embedded_broker(get_settings())
    except Exception as exc:  # a chore: never stops the worker from starting
        logger.warning("could not prune the embedded broker's delivered messages: %s", exc)
    else:
        if pruned:
            logger.info("embedded broker: deleted %d messages delivered over a day ago", pruned)


@worker_ready.connect
def _say_if_root(**_: Any) -> None:
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        logger.warning(
            "the worker runs as root; object code runs in the sandbox all the same, but run "
            "the worker as another user where you can"
        )


@worker_process_init.connect
def _fresh_connections(**_: Any) -> None:
    """A forked pool process drops the database connections it inherited (never shares them)."""
    get_engine().dispose(close=False)


@worker_process_init.connect
def _push_to_open_pages(**_: Any) -> None:
    """With REFLEX_REDIS_URL, a pool process pushes what its jobs commit to open pages."""
    if not os.environ.get("REFLEX_REDIS_URL"):
        return  # nothing to push through: the worker never loads Reflex
    # Imported here: only a worker that pushes needs Reflex's app, and only after the fork.
    from state import push

    if push.start_in_worker() is not None:
        logger.info("live pages: this worker pushes job progress through Redis")
