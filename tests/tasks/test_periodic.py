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
