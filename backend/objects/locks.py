"""One call at a time per object, across threads and processes.

A file lock under DATA_DIR covers every process on this machine (the web workers, Celery);
on PostgreSQL an advisory lock also covers app servers on other machines.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from backend.config import get_settings
from backend.db import get_engine

_ADVISORY_NAMESPACE = 0x0D0B  # first half of the two-int advisory key: "durable objects"
_thread_locks: dict[int, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


def _thread_lock(object_id: int) -> threading.Lock:
    with _thread_locks_guard:
        return _thread_locks.setdefault(object_id, threading.Lock())


@contextmanager
def object_lock(object_id: int) -> Iterator[None]:
    """Hold the object's lock for the duration of the block."""
    lock_dir = get_settings().data_dir / "locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with _thread_lock(object_id), open(lock_dir / f"object-{object_id}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            engine = get_engine()
            if engine.dialect.name != "postgresql":
                yield
                return
            with engine.connect() as connection:
                key = {"ns": _ADVISORY_NAMESPACE, "id": object_id}
                connection.execute(text("SELECT pg_advisory_lock(:ns, :id)"), key)
                try:
                    yield
                finally:
                    connection.execute(text("SELECT pg_advisory_unlock(:ns, :id)"), key)
                    connection.commit()
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
