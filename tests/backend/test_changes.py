"""backend.changes: which tables a committed transaction wrote, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import update

from backend import changes, db
from backend.access import audit
from backend.background import jobs
from backend.enums import EventName
from backend.events import activity
from backend.models import Task, User
from backend.objects.store import create_object_in


@pytest.fixture
def heard(migrated_db: str) -> Iterator[list[frozenset[str]]]:
    """What the listener was told, in order."""
    told: list[frozenset[str]] = []
    changes.listen(told.append)
    try:
        yield told
    finally:
        changes.unlisten(told.append)


def _create_greeter(session) -> None:
    create_object_in(
        session, slug="greeter", name="Greeter", files={"main.py": "X = 1\n"}, actor=audit.SYSTEM
    )


def test_added_rows_are_told_after_the_commit(heard: list[frozenset[str]]) -> None:
    with db.session_scope() as session:
        jobs.create_task(session, "test.kind")
        assert heard == []  # flushed, not committed: nobody hears of it yet
    assert heard == [frozenset({"task"})]


def test_a_bulk_update_is_told(heard: list[frozenset[str]]) -> None:
    with db.session_scope() as session:
        task_id = jobs.create_task(session, "test.kind").id
    heard.clear()
    jobs.report_progress(task_id, 30, "a third")  # a conditional UPDATE statement
    assert heard == [frozenset({"task"})]


def test_changes_and_deletes_are_told(heard: list[frozenset[str]]) -> None:
    with db.session_scope() as session:
        user = User(name="Ada", email="ada@example.com")
        session.add(user)
    heard.clear()
    with db.session_scope() as session:
        session.get(User, user.id).name = "Ada L."
    with db.session_scope() as session:
        session.delete(session.get(User, user.id))
    assert heard == [frozenset({"user"}), frozenset({"user"})]


def test_one_commit_names_every_table_it_wrote(heard: list[frozenset[str]]) -> None:
    with db.session_scope() as session:
        _create_greeter(session)
    assert len(heard) == 1
    assert {"durable_object", "object_version", "audit_entry"} <= heard[0]


def test_a_rollback_or_a_read_tells_nothing(heard: list[frozenset[str]]) -> None:
    with pytest.raises(RuntimeError), db.session_scope() as session:
        jobs.create_task(session, "test.kind")
        raise RuntimeError("changed my mind")
    with db.session_scope() as session:
        session.get(Task, 1)
    # A later commit must not carry the rolled-back transaction's tables either.
    with db.session_scope() as session:
        session.add(User(name="Bo", email="bo@example.com"))
    assert heard == [frozenset({"user"})]


def test_a_rolled_back_savepoint_keeps_the_outer_writes(heard: list[frozenset[str]]) -> None:
    with db.session_scope() as session:
        jobs.create_task(session, "test.kind")
        nested = session.begin_nested()
        session.execute(update(Task).values(message="inner"))
        nested.rollback()
    assert heard == [frozenset({"task"})]


def test_a_released_savepoint_tells_nothing_until_the_outer_commit(
    heard: list[frozenset[str]],
) -> None:
    """SQLAlchemy calls `after_commit` when a savepoint is released too (every subscriber of
    an action runs in one). Telling then had live pages re-read before the outer commit: they
    saw the old rows, and the real commit no longer named the tables written before the
    savepoint (a dashboard kept "1 awaiting approval" after the approval)."""
    with db.session_scope() as session:
        jobs.create_task(session, "test.kind")
        with session.begin_nested():
            session.add(User(name="Cy", email="cy@example.com"))
        assert heard == []
        session.flush()
    assert heard == [frozenset({"task", "user"})]


def test_an_actions_subscribers_savepoints_tell_nothing_before_the_commit(
    heard: list[frozenset[str]],
) -> None:
    seen_at_subscriber: list[list[frozenset[str]]] = []

    def subscriber(session, event) -> None:
        session.add(User(name="Di", email="di@example.com"))
        seen_at_subscriber.append(list(heard))

    activity.subscribe(EventName.OBJECT_CREATED, subscriber)
    try:
        with db.session_scope() as session:
            _create_greeter(session)
            assert heard == []  # the subscriber's savepoint was released: still nothing
    finally:
        activity.unsubscribe(EventName.OBJECT_CREATED, subscriber)
    assert seen_at_subscriber == [[]]
    assert len(heard) == 1
    assert {"durable_object", "object_version", "audit_entry", "event", "user"} <= heard[0]


def test_a_failing_listener_neither_stops_the_others_nor_the_commit(
    heard: list[frozenset[str]],
) -> None:
    def broken(_tables: frozenset[str]) -> None:
        raise ValueError("listener bug")

    changes.listen(broken)
    try:
        with db.session_scope() as session:
            task_id = jobs.create_task(session, "test.kind").id
    finally:
        changes.unlisten(broken)
    assert heard == [frozenset({"task"})]
    with db.session_scope() as session:
        assert session.get(Task, task_id) is not None


def test_unlisten_stops_the_calls(heard: list[frozenset[str]]) -> None:
    changes.unlisten(heard.append)
    with db.session_scope() as session:
        jobs.create_task(session, "test.kind")
    assert heard == []
