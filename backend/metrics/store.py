"""Adding sums of calls to `ObjectCallMinute` rows: one upsert per row that increments.

`INSERT ... ON CONFLICT (object, version, function, period) DO UPDATE SET calls = calls +
excluded.calls, ...` is atomic on SQLite and PostgreSQL, so any number of processes may merge
into the same row at once and every call counts exactly once. Rows are written in key order,
so two writers on PostgreSQL take their row locks in the same order and never deadlock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from backend.db import session_scope
from backend.models import CALL_ERROR_KINDS, LATENCY_BOUNDS_MS, LATENCY_COLUMNS, ObjectCallMinute

TABLE: sa.Table = ObjectCallMinute.__table__  # type: ignore[attr-defined]
#: (object id, version, function, start of the period).
Key = tuple[int, int, str, datetime]
KEY_COLUMNS = ("object_id", "version", "function", "period_seconds", "period_start")
#: Columns that add up when two sums of the same row merge.
ADDED_COLUMNS: tuple[str, ...] = (
    "calls",
    "errors",
    *(f"errors_{kind}" for kind in CALL_ERROR_KINDS),
    *LATENCY_COLUMNS,
    "ms_sum",
)

#: Characters of an error message kept with its period.
MAX_ERROR_CHARS = 500


@dataclass
class Sums:
    """What one key's calls add up to, ready to be added to its row."""

    calls: int = 0
    errors: int = 0
    by_kind: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CALL_ERROR_KINDS, 0))
    histogram: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BOUNDS_MS) + 1))
    ms_sum: float = 0.0
    ms_max: float = 0.0
    last_error: str | None = None
    last_error_at: datetime | None = None

    def add(self, when: datetime, kind: str | None, duration_ms: float, error: str | None) -> None:
        self.calls += 1
        duration_ms = max(0.0, float(duration_ms))
        self.histogram[bucket_index(duration_ms)] += 1
        self.ms_sum += duration_ms
        self.ms_max = max(self.ms_max, duration_ms)
        if kind is None:
            return
        self.errors += 1
        self.by_kind[kind if kind in self.by_kind else "error"] += 1
        if self.last_error_at is None or when >= self.last_error_at:
            self.last_error_at = when
            self.last_error = (error or kind)[:MAX_ERROR_CHARS]

    def merge(self, other: Sums) -> None:
        self.calls += other.calls
        self.errors += other.errors
        for kind, count in other.by_kind.items():
            self.by_kind[kind] += count
        self.histogram = [a + b for a, b in zip(self.histogram, other.histogram, strict=True)]
        self.ms_sum += other.ms_sum
        self.ms_max = max(self.ms_max, other.ms_max)
        if other.last_error_at is not None and (
            self.last_error_at is None or other.last_error_at >= self.last_error_at
        ):
            self.last_error_at, self.last_error = other.last_error_at, other.last_error


def bucket_index(duration_ms: float) -> int:
    """The histogram bucket of a duration: the first bound it does not exceed."""
    for index, bound in enumerate(LATENCY_BOUNDS_MS):
        if duration_ms <= bound:
            return index
    return len(LATENCY_BOUNDS_MS)


def row_values(sums: Sums) -> dict[str, Any]:
    """The columns (other than the key) that `sums` adds to its row."""
    values: dict[str, Any] = {"calls": sums.calls, "errors": sums.errors, "ms_sum": sums.ms_sum}
    values.update({f"errors_{kind}": count for kind, count in sums.by_kind.items()})
    values.update(zip(LATENCY_COLUMNS, sums.histogram, strict=True))
    values.update(ms_max=sums.ms_max, last_error=sums.last_error, last_error_at=sums.last_error_at)
    return values


def _upsert(dialect: str, values: dict[str, Any]) -> sa.Insert:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(TABLE).values(**values)
    new, old = statement.excluded, TABLE.c
    newer_error = sa.and_(
        new.last_error_at.is_not(None),
        sa.or_(old.last_error_at.is_(None), new.last_error_at >= old.last_error_at),
    )
    changes: dict[str, Any] = {name: old[name] + new[name] for name in ADDED_COLUMNS}
    changes["ms_max"] = sa.case((new.ms_max > old.ms_max, new.ms_max), else_=old.ms_max)
    changes["last_error"] = sa.case((newer_error, new.last_error), else_=old.last_error)
    changes["last_error_at"] = sa.case((newer_error, new.last_error_at), else_=old.last_error_at)
    return statement.on_conflict_do_update(index_elements=list(KEY_COLUMNS), set_=changes)


def merge(batch: Mapping[Key, Sums], *, period_seconds: int) -> None:
    """Add each key's sums to its row of `period_seconds` (60 or 3600), in one transaction."""
    with session_scope() as session:
        merge_in(session, batch, period_seconds=period_seconds)


def merge_in(session: Session, batch: Mapping[Key, Sums], *, period_seconds: int) -> None:
    """`merge` inside the caller's transaction (the rollup deletes minutes in the same one)."""
    dialect = session.get_bind().dialect.name
    for key in sorted(batch):
        object_id, version, function, start = key
        values = row_values(batch[key])
        values.update(
            object_id=object_id,
            version=version,
            function=function,
            period_seconds=period_seconds,
            period_start=start,
        )
        session.execute(_upsert(dialect, values))


def sums_of(row: Any) -> Sums:
    """The sums a stored row holds (to add it to another period's row)."""
    return Sums(
        calls=row.calls,
        errors=row.errors,
        by_kind={kind: getattr(row, f"errors_{kind}") for kind in CALL_ERROR_KINDS},
        histogram=[getattr(row, name) for name in LATENCY_COLUMNS],
        ms_sum=row.ms_sum,
        ms_max=row.ms_max,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
    )
