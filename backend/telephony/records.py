"""Webhook records (Interaction rows and retry receipts) written in group commits.

A webhook whose answer needs no other write (HELP, an unknown sender, the per-number limit, a
command whose work already committed) hands its Interaction rows and its receipt to one
writer thread per process and gets a Future of its answer. The writer takes everything queued
at that moment and writes it in one transaction, so a burst of webhooks shares one commit
(one fsync on SQLite, one WAL flush on PostgreSQL) instead of paying one each while holding
the database's write lock: this is what made a signed SMS webhook 27 times slower than a
trivial route under 20 concurrent clients (bench/webhook_latency.py).

Nothing is written behind the answer's back: the Future resolves only once its rows are
committed, and the door answers Twilio only then (it awaits the Future without holding a
worker thread). A crash before that commit loses nothing a person asked for: Twilio got no
answer, so it retries the webhook, and the retry finds no receipt and does the work again
(the work of a command committed before its record, as it always did, and is idempotent
where a retry could repeat it). Entries are written in the order they were handed over.

Deduplication holds as before: a copy of a request still in flight here waits for the first
copy's answer; a copy answered meanwhile by another process makes the receipt's unique key
fail, and that copy answers what the first one stored, leaving no row of its own.
"""

from __future__ import annotations

import os
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from backend.channels import twiml
from backend.db import get_engine
from backend.models import Interaction, WebhookReceipt
from backend.telephony import receipts

#: Most entries written in one transaction (a burst beyond it takes several).
BATCH_MAX = 500


@dataclass
class _Entry:
    engine: Engine
    rows: list[Interaction]
    key: str
    answer: str
    future: Future[str]


class _Writer:
    """One thread that commits queued entries, all that are waiting in each transaction."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._queue: queue.SimpleQueue[_Entry] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._in_flight: dict[tuple[Engine, str], Future[str]] = {}
        threading.Thread(target=self._run, name="webhook-records", daemon=True).start()

    def in_flight(self, engine: Engine, key: str) -> Future[str] | None:
        with self._lock:
            return self._in_flight.get((engine, key)) if key else None

    def submit(self, engine: Engine, rows: list[Interaction], key: str, answer: str) -> Future:
        with self._lock:
            earlier = self._in_flight.get((engine, key)) if key else None
            if earlier is not None:
                return earlier  # a copy of this request is being written: answer as it does
            future: Future[str] = Future()
            if key:
                self._in_flight[(engine, key)] = future
        self._queue.put(_Entry(engine, rows, key, answer, future))
        return future

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < BATCH_MAX:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            for engine in dict.fromkeys(entry.engine for entry in batch):
                self._write([entry for entry in batch if entry.engine is engine])

    def _write(self, entries: list[_Entry]) -> None:
        try:
            try:
                _commit(entries)
                answers = [entry.answer for entry in entries]
            except IntegrityError:
                # Some key was answered meanwhile by another process: one entry at a time.
                answers = [_write_alone(entry) for entry in entries]
        except BaseException as exc:  # the thread must live on; each waiting webhook fails
            for entry in entries:
                self._settle(entry, exception=exc)
            return
        for entry, answer in zip(entries, answers, strict=True):
            self._settle(entry, answer=answer)

    def _settle(
        self, entry: _Entry, *, answer: str = "", exception: BaseException | None = None
    ) -> None:
        with self._lock:
            self._in_flight.pop((entry.engine, entry.key), None)
        if exception is not None:
            entry.future.set_exception(exception)
        else:
            entry.future.set_result(answer)


def _commit(entries: list[_Entry]) -> None:
    """Write every entry's rows and receipt in one transaction."""
    with Session(entries[0].engine) as session:
        for entry in entries:
            session.add_all(entry.rows)
            if entry.key:
                session.add(WebhookReceipt(key=entry.key, response=entry.answer))
        session.commit()


def _write_alone(entry: _Entry) -> str:
    """Write one entry; the answer to give (the stored one if its key was answered already)."""
    try:
        _commit([entry])
        return entry.answer
    except IntegrityError:
        with Session(entry.engine) as session:
            return receipts.stored(session, entry.key) or twiml.message(None)


_writer: _Writer | None = None
_writer_lock = threading.Lock()


def _the_writer() -> _Writer:
    """This process's writer (a forked child, like a Celery worker, starts its own)."""
    global _writer
    with _writer_lock:
        if _writer is None or _writer.pid != os.getpid():
            _writer = _Writer()
        return _writer


def save(rows: list[Interaction], key: str, answer: str) -> Future[str]:
    """Have `rows` and the receipt of `key` (none for an empty key) committed; the Future
    resolves to the answer to give once they are: `answer`, or the answer given to an earlier
    copy of the same request. Answer nothing before it resolves."""
    return _the_writer().submit(get_engine(), rows, key[: receipts.KEY_MAX], answer)


def in_flight(key: str) -> Future[str] | None:
    """The Future of a copy of `key` handed over here and not yet committed, if any."""
    return _the_writer().in_flight(get_engine(), key[: receipts.KEY_MAX])
