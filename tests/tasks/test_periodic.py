"""`tasks.periodic`: the worker's chores (sweeper, dispatcher) outlive a failing round."""

from __future__ import annotations

import logging
import threading

import pytest

from tasks import periodic


def test_a_failing_round_is_logged_and_the_next_one_comes(caplog: pytest.LogCaptureFixture):
    outcomes: list[object] = [RuntimeError("database away"), {"sent": 2}, {"sent": 0}]
    third_done, never = threading.Event(), threading.Event()

    def round_once() -> dict:
        if not outcomes:
            third_done.set()
            never.wait()  # the thread is a daemon: it ends with the test process
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    with caplog.at_level(logging.INFO, logger="tasks.periodic"):
        thread = periodic.start("test chore", round_once, lambda: 0.0, lambda o: bool(o["sent"]))
        assert third_done.wait(timeout=30)
    assert thread.daemon and thread.name == "test-chore"
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "test chore: database away"),
        ("INFO", "test chore: {'sent': 2}"),
    ]


def test_the_worker_rolls_call_metrics_up_in_a_chore_of_its_own(monkeypatch, migrated_db):
    """tasks.metrics starts `backend.metrics.rollup.roll_up` as a periodic chore every
    METRICS_ROLLUP_SECONDS; one round of it rolls old minutes up."""
    from datetime import UTC, datetime, timedelta

    import tasks.metrics
    from backend import db
    from backend.access.audit import SYSTEM
    from backend.config import get_settings
    from backend.metrics import queries, store
    from backend.objects.store import create_object_in
    from tasks.celery_app import TASK_MODULES

    assert "tasks.metrics" in TASK_MODULES
    started: list[tuple] = []
    monkeypatch.setattr(periodic, "start", lambda *args: started.append(args))
    tasks.metrics.start()
    [(name, round_once, seconds, worth_saying)] = started
    assert name == "call metrics rollup"
    assert seconds() == get_settings().metrics_rollup_seconds

    with db.session_scope() as session:
        object_id = create_object_in(
            session, slug="old", name="Old", files={"main.py": "x = 1\n"}, actor=SYSTEM
        ).object_id
    long_ago = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=3)
    sums = store.Sums()
    sums.add(long_ago, "error", 4.0, "error: then")
    store.merge({(object_id, 1, "run", long_ago): sums}, period_seconds=60)
    outcome = round_once()
    assert outcome == {"minutes_rolled_up": 1, "hours_deleted": 0} and worth_saying(outcome)
    stats = queries.window_stats(object_id, long_ago - timedelta(hours=1))
    assert (stats.calls, stats.errors, stats.last_error) == (1, 1, "error: then")
