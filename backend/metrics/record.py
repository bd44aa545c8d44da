"""Recording calls of deployed objects without slowing them down.

`record_call` only appends a tuple to an in-memory deque (thread-safe and constant time under
the GIL); a daemon thread of the process (`Flusher`, started on the first call) drains it every
METRICS_FLUSH_SECONDS, adds the calls up per object, version, function and minute, and merges
those sums into `ObjectCallMinute` rows with an upsert that increments (`store.merge`). Every
web process flushes its own buffer; the increments make their rows add up without lost
updates on SQLite and PostgreSQL. What is buffered is written once more when the process exits
(atexit); a forked child starts with an empty buffer (the parent writes its own).

Sums that could not be written (the database away for a moment) are kept and tried again at
the next flush, so a call is never counted twice nor dropped because of it.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import deque
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from backend.config import get_settings
from backend.metrics import store
from backend.metrics.store import Key, Sums

logger = logging.getLogger(__name__)

#: One call as `record_call` saw it: (unix time, object id, version, function, kind,
#: duration in ms, error message).
RawCall = tuple[float, int, int, str, str | None, float, str | None]


def minute_start(unix_time: float) -> datetime:
    return datetime.fromtimestamp(unix_time - unix_time % 60, UTC)


class _Buffer:
    """This process's calls not yet in the database."""

    def __init__(self) -> None:
        self.calls: deque[RawCall] = deque()
        self.unwritten: dict[Key, Sums] = {}
        self.flush_lock = threading.Lock()
        self.flusher: threading.Thread | None = None
        self.start_lock = threading.Lock()


_buffer = _Buffer()


def record_call(
    object_id: int,
    version: int,
    function: str,
    kind: str | None,
    duration_ms: float,
    error: str | None = None,
) -> None:
    """Count one call of a deployed object's function: `kind` None when it answered, else its
    outcome kind (`error`, `timeout`, `memory`, `forbidden`, `output`; anything else counts as
    `error`), `error` the message people see. Never blocks: an append to memory."""
    if not get_settings().metrics_enabled:
        return
    buffer = _buffer
    buffer.calls.append((time.time(), object_id, version, function, kind, duration_ms, error))
    if buffer.flusher is None:
        _start_flusher(buffer)


def _drain(buffer: _Buffer) -> None:
    """Move the raw calls into the per-minute sums (under `flush_lock`)."""
    calls, unwritten = buffer.calls, buffer.unwritten
    while calls:
        try:
            when, object_id, version, function, kind, duration_ms, error = calls.popleft()
        except IndexError:  # emptied meanwhile (cannot happen under flush_lock; harmless)
            break
        key = (object_id, version, function, minute_start(when))
        sums = unwritten.get(key)
        if sums is None:
            sums = unwritten[key] = Sums()
        sums.add(datetime.fromtimestamp(when, UTC), kind, duration_ms, error)


def flush() -> None:
    """Write what this process has buffered now (the flusher's round; tests and shutdown).

    Raises what the database raised; the sums stay buffered for the next try."""
    buffer = _buffer
    with buffer.flush_lock:
        _drain(buffer)
        if not buffer.unwritten:
            return
        batch, buffer.unwritten = buffer.unwritten, {}
        try:
            store.merge(batch, period_seconds=60)
        except IntegrityError as exc:
            # Refused for good (an object that no longer exists): trying again would fail the
            # same way and hold back every later call.
            logger.warning("call metrics: %d calls dropped: %s", _calls_in(batch), exc)
        except BaseException:
            # Keep them (merged with whatever came meanwhile) for the next flush.
            for key, sums in buffer.unwritten.items():
                if key in batch:
                    batch[key].merge(sums)
                else:
                    batch[key] = sums
            buffer.unwritten = batch
            raise


def _calls_in(batch: dict[Key, Sums]) -> int:
    return sum(sums.calls for sums in batch.values())


def pending_calls() -> int:
    """Calls recorded in this process and not written yet (for tests and diagnostics)."""
    buffer = _buffer
    return len(buffer.calls) + _calls_in(buffer.unwritten)


def discard() -> None:
    """Forget what is buffered and not written (tests, between databases)."""
    buffer = _buffer
    with buffer.flush_lock:
        buffer.calls.clear()
        buffer.unwritten = {}


def _flush_forever() -> None:
    while True:
        time.sleep(get_settings().metrics_flush_seconds)
        try:
            flush()
        except Exception as exc:  # the database may be away for a moment; the next round retries
            logger.warning("call metrics: not written yet: %s", exc)


def _start_flusher(buffer: _Buffer) -> None:
    with buffer.start_lock:
        if buffer.flusher is not None:
            return
        thread = threading.Thread(target=_flush_forever, name="call-metrics-flusher", daemon=True)
        thread.start()
        buffer.flusher = thread


def _flush_at_exit() -> None:
    try:
        flush()
    except Exception as exc:  # the process is ending: say what was lost and go
        logger.warning("call metrics: %d calls not written at exit: %s", pending_calls(), exc)


def _forget_in_child() -> None:
    """A forked child starts empty: its parent writes the calls it recorded."""
    global _buffer
    _buffer = _Buffer()


atexit.register(_flush_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)
