"""The database module: what a forked process inherits from its parent's SQLite connections."""

from __future__ import annotations

import logging
import os
import threading

import pytest
from sqlalchemy import text

from backend import db
from backend.background import jobs
from backend.db import session_scope


def _in_child(check) -> str:
    """Fork; the child runs `check()` and sends back what it says (or its error)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        try:
            os.close(read_end)
            try:
                said = str(check())
            except Exception as exc:
                said = f"{type(exc).__name__}: {exc}"
            os.write(write_end, said.encode()[:4000])
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        said = reader.read().decode()
    os.waitpid(pid, 0)
    return said


def _new_task() -> int:
    with session_scope() as session:
        return int(jobs.create_task(session, "system.check").id)


def test_a_child_forked_during_another_threads_write_can_write(sqlite_db: str) -> None:
    """A Celery pool process forked while the sweeper thread was writing could never write
    (SQLite's locks live in process memory: "database is locked" after every busy timeout)."""
    task_id = _new_task()
    writing, finish = threading.Event(), threading.Event()

    def write_and_hold() -> None:
        with session_scope() as session:
            session.execute(
                text("UPDATE task SET message = 'written by the thread' WHERE id = :id"),
                {"id": task_id},
            )
            writing.set()
            finish.wait(30)

    writer = threading.Thread(target=write_and_hold)
    writer.start()
    assert writing.wait(10)
    # Ends the thread's transaction while the fork below waits for it to.
    threading.Timer(0.5, finish.set).start()

    def start_the_task() -> str:
        return str(jobs.mark_running(task_id, worker="the child").status)

    said = _in_child(start_the_task)
    writer.join(10)
    # Without the guard: "OperationalError: database is locked", on every try, for good.
    assert said == "running"
    with session_scope() as session:
        task = jobs.get_task(session, task_id)
    assert (task.status, task.worker) == ("running", "the child")


def test_a_thread_forking_inside_its_own_transaction_does_not_wait_for_itself(
    sqlite_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Only other threads' connections are waited for: a fork (e.g. a subprocess with a
    preexec_fn) from inside a transaction goes ahead at once."""
    task_id = _new_task()
    with caplog.at_level(logging.WARNING, logger=db.__name__), session_scope() as session:
        session.execute(text("UPDATE task SET message = 'mine' WHERE id = :id"), {"id": task_id})
        said = _in_child(lambda: "forked")
    assert said == "forked"
    assert not [r for r in caplog.records if "forking while" in r.getMessage()]
    with session_scope() as session:
        assert jobs.get_task(session, task_id).message == "mine"


def test_a_connection_given_back_by_another_thread_holds_up_no_fork(
    sqlite_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Connections are counted by pool record, not by thread: one checked out in a thread
    and returned from another (a session closed elsewhere, the GC) is no longer waited for."""
    taken = []
    opener = threading.Thread(target=lambda: taken.append(db.get_engine().connect()))
    opener.start()
    opener.join(10)
    taken.pop().close()  # checked in from this thread
    with caplog.at_level(logging.WARNING, logger=db.__name__):
        assert _in_child(lambda: "forked") == "forked"
    assert not [r for r in caplog.records if "forking while" in r.getMessage()]
