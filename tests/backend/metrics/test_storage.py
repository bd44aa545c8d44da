"""Call metrics: buffered in memory, merged into per-minute rows, read back as window stats
(on SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from backend import db
from backend.access.audit import SYSTEM, Actor
from backend.access.permissions import PermissionDenied
from backend.enums import Channel
from backend.metrics import queries, record, store
from backend.models import LATENCY_BOUNDS_MS, LATENCY_COLUMNS, ObjectCallMinute
from backend.objects import store as objects


@pytest.fixture(autouse=True)
def _empty_buffer():
    record.discard()
    yield
    record.discard()


def _object(slug: str, name: str | None = None) -> int:
    with db.session_scope() as session:
        version = objects.create_object(
            session,
            slug=slug,
            name=name or slug.title(),
            files={"main.py": "x = 1\n"},
            actor=SYSTEM,
        )
        return version.object_id


def test_the_histogram_has_a_column_per_bound():
    assert len(LATENCY_COLUMNS) == len(LATENCY_BOUNDS_MS) + 1
    columns = set(ObjectCallMinute.__table__.c.keys())
    assert set(LATENCY_COLUMNS) <= columns
    assert store.bucket_index(0.2) == 0
    assert store.bucket_index(1.0) == 0
    assert store.bucket_index(1.01) == 1
    assert store.bucket_index(10**6) == len(LATENCY_BOUNDS_MS)


def test_calls_add_up_per_minute_with_kinds_percentiles_and_last_error(migrated_db):
    object_id = _object("weather")
    for _ in range(90):
        record.record_call(object_id, 1, "forecast", None, 12.0)
    for _ in range(8):
        record.record_call(object_id, 1, "forecast", None, 400.0)
    record.record_call(object_id, 1, "forecast", "timeout", 2000.0, "timeout: ran past 2 s")
    time.sleep(0.01)  # the newer error is the last one
    record.record_call(object_id, 1, "now", "error", 3.0, "ZeroDivisionError: division by zero")
    assert record.pending_calls() == 100
    record.flush()
    assert record.pending_calls() == 0

    stats = queries.window_stats(object_id, datetime.now(UTC) - timedelta(minutes=5))
    assert stats.calls == 100
    assert stats.errors == 2
    assert stats.errors_by_kind == {
        "error": 1,
        "timeout": 1,
        "memory": 0,
        "forbidden": 0,
        "output": 0,
    }
    assert stats.error_rate == pytest.approx(0.02)
    # Within the bucket each falls in: 12 ms is in (10, 15], 400 ms in (300, 500].
    assert 10 < stats.p50_ms <= 15
    assert 300 < stats.p95_ms <= 500
    assert 300 < stats.p99_ms <= 2000
    assert stats.max_ms == 2000.0
    assert stats.last_error == "ZeroDivisionError: division by zero"
    assert stats.last_error_function == "now"
    assert stats.last_error_version == 1
    assert stats.last_error_at is not None and stats.last_error_at.tzinfo is not None

    only = queries.window_stats(
        object_id, datetime.now(UTC) - timedelta(minutes=5), function="forecast"
    )
    assert (only.calls, only.errors, only.last_error) == (99, 1, "timeout: ran past 2 s")
    assert (
        queries.window_stats(object_id, datetime.now(UTC) - timedelta(minutes=5), version=2)
        == queries.WindowStats()
    )

    with db.session_scope() as session:
        rows = session.exec(select(ObjectCallMinute)).all()
    assert {(row.function, row.period_seconds) for row in rows} == {
        ("forecast", 60),
        ("now", 60),
    }
    assert all(row.period_start.second == 0 for row in rows)


def test_a_window_with_no_calls_has_no_percentiles(migrated_db):
    object_id = _object("quiet")
    stats = queries.window_stats(object_id, datetime.now(UTC) - timedelta(hours=1))
    assert (stats.calls, stats.errors, stats.p50_ms, stats.error_rate) == (0, 0, None, 0.0)
    assert stats.last_error is None


def test_concurrent_writers_never_lose_a_call(migrated_db):
    """Several processes merge into the same minute row at once: every call counts."""
    object_id = _object("busy")
    minute = record.minute_start(datetime.now(UTC).timestamp())
    writers, rounds = 4, 10

    def writer(index: int) -> None:
        for _ in range(rounds):
            sums = store.Sums()
            when = datetime.now(UTC)
            sums.add(when, None, 5.0, None)
            sums.add(when, "memory", 50.0, f"memory: writer {index}")
            store.merge({(object_id, 1, "run", minute): sums}, period_seconds=60)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    stats = queries.window_stats(object_id, minute)
    assert stats.calls == writers * rounds * 2
    assert stats.errors_by_kind["memory"] == writers * rounds
    assert stats.max_ms == 50.0
    assert stats.last_error.startswith("memory: writer ")
    with db.session_scope() as session:
        assert len(session.exec(select(ObjectCallMinute)).all()) == 1


def test_a_failed_write_keeps_the_calls_for_the_next_flush(migrated_db, monkeypatch):
    object_id = _object("flaky")
    record.record_call(object_id, 1, "run", None, 1.0)

    def away(*args, **kwargs):
        raise ConnectionError("database away")

    monkeypatch.setattr(store, "merge", away)
    with pytest.raises(ConnectionError):
        record.flush()
    record.record_call(object_id, 1, "run", "output", 2.0, "output: too large")
    assert record.pending_calls() == 2
    monkeypatch.undo()
    record.flush()
    stats = queries.window_stats(object_id, datetime.now(UTC) - timedelta(minutes=2))
    assert (stats.calls, stats.errors_by_kind["output"]) == (2, 1)


def test_recording_off_records_nothing(migrated_db, monkeypatch):
    from backend import config

    object_id = _object("silent")
    monkeypatch.setenv("METRICS_ENABLED", "0")
    config.reload_settings()
    record.record_call(object_id, 1, "run", None, 1.0)
    assert record.pending_calls() == 0


def test_object_stats_busiest_and_failing(migrated_db):
    calm, broken = _object("calm"), _object("broken", "Broken API")
    for _ in range(5):
        record.record_call(calm, 1, "run", None, 2.0)
    record.record_call(broken, 1, "go", None, 2.0)
    record.record_call(broken, 2, "go", "forbidden", 2.0, "forbidden: sockets are refused")
    record.record_call(broken, 2, "stop", "error", 2.0, "ValueError: no")
    record.flush()

    nobody = Actor(name="anonymous", channel=Channel.API)
    with pytest.raises(PermissionDenied):
        queries.object_stats("broken", timedelta(hours=1), nobody)
    admin = Actor.operator("ops")
    stats = queries.object_stats("broken", timedelta(hours=1), admin)
    assert (stats.slug, stats.name, stats.totals.calls, stats.totals.errors) == (
        "broken",
        "Broken API",
        3,
        2,
    )
    assert {name: s.calls for name, s in stats.by_function.items()} == {"go": 2, "stop": 1}
    assert {number: s.errors for number, s in stats.by_version.items()} == {1: 0, 2: 2}
    assert stats.by_function["go"].last_error == "forbidden: sockets are refused"
    view = stats.to_dict()
    assert view["by_version"]["2"]["errors_by_kind"]["forbidden"] == 1
    assert view["p50_ms"] is not None

    busiest = queries.busiest(timedelta(hours=1))
    assert [(row.object.slug, row.stats.calls) for row in busiest] == [("calm", 5), ("broken", 3)]
    failing = queries.failing(timedelta(hours=1))
    assert [(obj.slug, stats.errors) for obj, stats in failing] == [("broken", 2)]
    assert failing[0].stats.last_error == "ValueError: no"


def test_old_minutes_roll_up_into_hours_and_old_hours_expire(migrated_db, monkeypatch):
    from backend import config
    from backend.metrics import rollup

    monkeypatch.setenv("METRICS_MINUTES_KEEP_HOURS", "2")
    monkeypatch.setenv("METRICS_HOURS_KEEP_DAYS", "1")
    config.reload_settings()
    object_id = _object("history")
    now = datetime(2026, 12, 6, 12, 30, tzinfo=UTC)
    batch = {}
    # At 12:30, minutes kept for 2 hours: whole hours before 10:00 roll up (08:xx, 09:xx and
    # two days ago, which is then past the hours' one day and goes); 10:15 stays a minute.
    for start, kind in [
        (datetime(2026, 12, 6, 8, 5, tzinfo=UTC), None),
        (datetime(2026, 12, 6, 8, 50, tzinfo=UTC), "timeout"),
        (datetime(2026, 12, 6, 9, 0, tzinfo=UTC), None),
        (datetime(2026, 12, 6, 10, 15, tzinfo=UTC), "error"),
        (datetime(2026, 12, 4, 8, 0, tzinfo=UTC), None),
    ]:
        sums = store.Sums()
        sums.add(start, kind, 30.0, kind and f"{kind}: at {start:%H:%M}")
        batch[(object_id, 1, "run", start)] = sums
    store.merge(batch, period_seconds=60)
    before = queries.window_stats(object_id, datetime(2026, 12, 6, 8, 0, tzinfo=UTC), now)

    assert rollup.roll_up(now) == {"minutes_rolled_up": 4, "hours_deleted": 1}
    with db.session_scope() as session:
        rows = session.exec(select(ObjectCallMinute).order_by(ObjectCallMinute.period_start)).all()
    assert [
        (row.period_start.strftime("%d %H:%M"), row.period_seconds, row.calls) for row in rows
    ] == [
        ("06 08:00", 3600, 2),
        ("06 09:00", 3600, 1),
        ("06 10:15", 60, 1),
    ]
    after = queries.window_stats(object_id, datetime(2026, 12, 6, 8, 0, tzinfo=UTC), now)
    assert (after.calls, after.errors, after.errors_by_kind) == (
        before.calls,
        before.errors,
        before.errors_by_kind,
    )
    assert after.last_error == "error: at 10:15"
    assert after.p50_ms == before.p50_ms

    assert rollup.roll_up(now) == {"minutes_rolled_up": 0, "hours_deleted": 0}
    # A day later everything is past both: 10:15 rolls up, and every hour goes.
    assert rollup.roll_up(now + timedelta(days=1)) == {"minutes_rolled_up": 1, "hours_deleted": 3}
    with db.session_scope() as session:
        assert session.exec(select(ObjectCallMinute)).all() == []
