"""Reading the call metrics: counts, errors by kind and latency percentiles over a window.

A window [since, until) takes every period (minute, or hour once rolled up) that overlaps it,
so "the last 5 minutes" counts whole minutes: the one `since` falls in included. Percentiles
come from the summed latency histograms (`LATENCY_BOUNDS_MS`), interpolated inside the bucket
and never above the slowest call: exact to the bucket's width.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, select

from backend.access.audit import Actor
from backend.access.permissions import PermissionDenied
from backend.db import session_scope
from backend.enums import Role
from backend.errors import InvalidInput, NotFound
from backend.metrics.store import TABLE
from backend.models import (
    CALL_ERROR_KINDS,
    LATENCY_BOUNDS_MS,
    LATENCY_COLUMNS,
    DurableObject,
)

C = TABLE.c
_SUMMED = ("calls", "errors", *(f"errors_{kind}" for kind in CALL_ERROR_KINDS), *LATENCY_COLUMNS)


@dataclass
class WindowStats:
    """Calls of an object (or one function, one version) over a window."""

    calls: int = 0
    errors: int = 0
    errors_by_kind: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(CALL_ERROR_KINDS, 0)
    )
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    last_error_function: str | None = None
    last_error_version: int | None = None
    mean_ms: float | None = None
    max_ms: float | None = None

    @property
    def error_rate(self) -> float:
        """Errors per call (0 with no calls)."""
        return self.errors / self.calls if self.calls else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The JSON view (`objects stats --json`, the stats API): times in ms, rounded."""
        return {
            "calls": self.calls,
            "errors": self.errors,
            "errors_by_kind": dict(self.errors_by_kind),
            "error_rate": round(self.error_rate, 4),
            "p50_ms": _round(self.p50_ms),
            "p95_ms": _round(self.p95_ms),
            "p99_ms": _round(self.p99_ms),
            "mean_ms": _round(self.mean_ms),
            "max_ms": _round(self.max_ms),
            "last_error": self.last_error,
            "last_error_at": self.last_error_at.isoformat() if self.last_error_at else None,
            "last_error_function": self.last_error_function,
            "last_error_version": self.last_error_version,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def percentile(histogram: Sequence[int], q: float, max_ms: float) -> float | None:
    """The `q` quantile (0..1) of the durations counted in `histogram` (one count per bucket of
    LATENCY_BOUNDS_MS, then the overflow), interpolated linearly inside its bucket and capped
    by the slowest call `max_ms`. None with no calls."""
    total = sum(histogram)
    if total == 0:
        return None
    rank = q * total
    seen = 0
    for index, count in enumerate(histogram):
        if count and seen + count >= rank:
            lower = LATENCY_BOUNDS_MS[index - 1] if index > 0 else 0.0
            upper = LATENCY_BOUNDS_MS[index] if index < len(LATENCY_BOUNDS_MS) else max_ms
            upper = min(upper, max_ms)
            lower = min(lower, upper)
            return lower + (upper - lower) * max(0.0, rank - seen) / count
        seen += count
    return max_ms


def _aggregates() -> list[Any]:
    columns: list[Any] = [sa.func.coalesce(sa.func.sum(C[name]), 0).label(name) for name in _SUMMED]
    columns.append(sa.func.coalesce(sa.func.sum(C.ms_sum), 0.0).label("ms_sum"))
    columns.append(sa.func.max(C.ms_max).label("ms_max"))
    return columns


def _stats(row: Any) -> WindowStats:
    """WindowStats from one row of `_aggregates()` (without the last error)."""
    calls = int(row.calls or 0)
    stats = WindowStats(
        calls=calls,
        errors=int(row.errors or 0),
        errors_by_kind={
            kind: int(getattr(row, f"errors_{kind}") or 0) for kind in CALL_ERROR_KINDS
        },
    )
    if calls:
        histogram = [int(getattr(row, name) or 0) for name in LATENCY_COLUMNS]
        max_ms = float(row.ms_max or 0.0)
        stats.p50_ms = percentile(histogram, 0.50, max_ms)
        stats.p95_ms = percentile(histogram, 0.95, max_ms)
        stats.p99_ms = percentile(histogram, 0.99, max_ms)
        stats.mean_ms = float(row.ms_sum or 0.0) / calls
        stats.max_ms = max_ms
    return stats


def _overlapping(since: datetime, until: datetime | None) -> sa.ColumnElement[bool]:
    """Rows whose period overlaps [since, until): minutes and rolled-up hours alike."""
    overlaps = sa.or_(
        sa.and_(C.period_seconds == 60, C.period_start > since - timedelta(seconds=60)),
        sa.and_(C.period_seconds == 3600, C.period_start > since - timedelta(seconds=3600)),
    )
    if until is None:
        return overlaps
    return sa.and_(overlaps, C.period_start < until)


def _where(
    object_id: int | None,
    since: datetime,
    until: datetime | None,
    version: int | None = None,
    function: str | None = None,
) -> list[sa.ColumnElement[bool]]:
    conditions = [_overlapping(since, until)]
    if object_id is not None:
        conditions.append(C.object_id == object_id)
    if version is not None:
        conditions.append(C.version == version)
    if function is not None:
        conditions.append(C.function == function)
    return conditions


def _add_last_error(session: Session, stats: WindowStats, conditions: list[Any]) -> None:
    if not stats.errors:
        return
    row = session.execute(
        sa.select(C.last_error, C.last_error_at, C.function, C.version)
        .where(*conditions, C.last_error_at.is_not(None))
        .order_by(C.last_error_at.desc(), C.id.desc())
        .limit(1)
    ).first()
    if row is not None:
        stats.last_error, stats.last_error_function, stats.last_error_version = (
            row.last_error,
            row.function,
            row.version,
        )
        stats.last_error_at = _aware(row.last_error_at)


def _aware(value: datetime | None) -> datetime | None:
    """Plain SELECTs of the table read through UTCDateTime; a bare value may come naive."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _window(session: Session, conditions: list[Any]) -> WindowStats:
    stats = _stats(session.execute(sa.select(*_aggregates()).where(*conditions)).one())
    _add_last_error(session, stats, conditions)
    return stats


def window_stats(
    object_id: int,
    since: datetime,
    until: datetime | None = None,
    *,
    version: int | None = None,
    function: str | None = None,
) -> WindowStats:
    """One object's calls over [since, until) (until: now), of one version or function when
    given."""
    with session_scope() as session:
        return _window(session, _where(object_id, since, until, version, function))


@dataclass
class ObjectStats:
    """An object's calls over a window: in all, per function and per version."""

    object_id: int
    slug: str
    name: str
    live_version: int | None
    since: datetime
    totals: WindowStats
    by_function: dict[str, WindowStats]
    by_version: dict[int, WindowStats]

    def to_dict(self) -> dict[str, Any]:
        """`objects stats --json` and GET /api/manage/objects/{slug}/stats."""
        return {
            **self.totals.to_dict(),
            "slug": self.slug,
            "name": self.name,
            "live_version": self.live_version,
            "since": self.since.isoformat(),
            "by_function": {name: s.to_dict() for name, s in self.by_function.items()},
            "by_version": {str(number): s.to_dict() for number, s in self.by_version.items()},
        }


def _grouped(session: Session, column: Any, conditions: list[Any]) -> dict[Any, WindowStats]:
    rows = session.execute(
        sa.select(column, *_aggregates()).where(*conditions).group_by(column).order_by(column)
    ).all()
    grouped: dict[Any, WindowStats] = {}
    for row in rows:
        stats = _stats(row)
        _add_last_error(session, stats, [*conditions, column == row[0]])
        grouped[row[0]] = stats
    return grouped


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
#: The longest window asked for: the hours kept by default (METRICS_HOURS_KEEP_DAYS).
MAX_WINDOW = timedelta(days=366)


def parse_since(text: str) -> timedelta:
    """A window like "90s", "15m", "1h", "7d" or "2w" (a bare number is minutes)."""
    match = re.fullmatch(r"\s*(\d{1,7})\s*([smhdw]?)\s*", text.lower())
    if match is None:
        raise InvalidInput(f"since {text!r}: give a number and a unit, like 15m, 1h or 7d")
    window = timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2) or "m"])
    if not timedelta(0) < window <= MAX_WINDOW:
        raise InvalidInput(f"since {text!r}: give a window from 1s to {MAX_WINDOW.days}d")
    return window


def object_stats(slug: str, since: timedelta | str, actor: Actor) -> ObjectStats:
    """Object `slug`'s calls in the last `since` (a timedelta, or text for `parse_since`):
    what every signed-in person may read."""
    if isinstance(since, str):
        since = parse_since(since)
    if actor.role == Role.ANONYMOUS:
        raise PermissionDenied("sign in to see how an object is doing")
    start = datetime.now(UTC) - since
    with session_scope() as session:
        obj = session.exec(select(DurableObject).where(DurableObject.slug == slug)).first()
        if obj is None:
            raise NotFound(f"no object with slug {slug!r}")
        conditions = _where(obj.id, start, None)
        return ObjectStats(
            object_id=obj.id,
            slug=obj.slug,
            name=obj.name,
            live_version=obj.deployed_version,
            since=start,
            totals=_window(session, conditions),
            by_function=_grouped(session, C.function, conditions),
            by_version=_grouped(session, C.version, conditions),
        )


class ObjectRef(NamedTuple):
    id: int
    slug: str
    name: str
    live_version: int | None


class ObjectWindow(NamedTuple):
    """One object's calls over a window (`busiest`, `failing`): unpacks as (object, stats)."""

    object: ObjectRef
    stats: WindowStats


def _ranked(since: timedelta, limit: int, *, failing: bool) -> list[ObjectWindow]:
    start = datetime.now(UTC) - since
    conditions = _where(None, start, None)
    calls, errors = sa.func.sum(C.calls), sa.func.sum(C.errors)
    query = sa.select(C.object_id, *_aggregates()).where(*conditions).group_by(C.object_id)
    if failing:
        query = query.having(errors > 0).order_by(errors.desc(), calls.desc(), C.object_id)
    else:
        query = query.having(calls > 0).order_by(calls.desc(), C.object_id)
    with session_scope() as session:
        rows = session.execute(query.limit(limit)).all()
        ranked = []
        for row in rows:
            obj = session.get(DurableObject, row.object_id)
            if obj is None:
                continue
            stats = _stats(row)
            _add_last_error(session, stats, [*conditions, C.object_id == row.object_id])
            ref = ObjectRef(obj.id, obj.slug, obj.name, obj.deployed_version)
            ranked.append(ObjectWindow(ref, stats))
        return ranked


def busiest(since: timedelta, limit: int = 5) -> list[ObjectWindow]:
    """The objects called most in the last `since`, most calls first."""
    return _ranked(since, limit, failing=False)


def failing(since: timedelta, limit: int = 5) -> list[ObjectWindow]:
    """The objects whose calls failed in the last `since`, most errors first."""
    return _ranked(since, limit, failing=True)


class SeriesPoint(NamedTuple):
    """One period's calls (of one version, when asked by version)."""

    start: datetime
    version: int | None
    stats: WindowStats


def series(
    object_id: int, since: datetime, until: datetime | None = None, *, by_version: bool = False
) -> list[SeriesPoint]:
    """An object's calls period by period (minutes, and hours where rolled up), oldest first;
    one point per period and version with `by_version`. Periods with no calls have no point."""
    group = [C.period_start, C.version] if by_version else [C.period_start]
    query = (
        sa.select(*group, *_aggregates())
        .where(*_where(object_id, since, until))
        .group_by(*group)
        .order_by(*group)
    )
    with session_scope() as session:
        rows = session.execute(query).all()
    return [
        SeriesPoint(_aware(row.period_start), row.version if by_version else None, _stats(row))
        for row in rows
    ]
