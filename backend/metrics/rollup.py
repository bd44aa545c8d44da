"""Keeping the call metrics small: minutes older than METRICS_MINUTES_KEEP_HOURS become hours,
hours older than METRICS_HOURS_KEEP_DAYS are deleted (the worker's periodic chore,
`tasks.metrics`).

Each batch of minutes is deleted (`DELETE ... RETURNING`) and added to its hours in one
transaction: a minute is claimed by exactly one roller, so several workers rolling up at once
count every call once. Only whole hours roll up (the cut-off is on the hour), so an hour is
never half in minutes and half in its own row for long; the queries add both resolutions up
anyway.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from backend.config import get_settings
from backend.db import session_scope
from backend.metrics.store import TABLE, Key, Sums, merge_in, sums_of

BATCH = 2000
C = TABLE.c


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def roll_up(now: datetime | None = None) -> dict[str, int]:
    """One round: minutes rolled into hours, hours deleted (how many of each)."""
    settings = get_settings()
    now = now or datetime.now(UTC)
    minutes_before = _hour(now - timedelta(hours=settings.metrics_minutes_keep_hours))
    hours_before = now - timedelta(days=settings.metrics_hours_keep_days)
    rolled = 0
    while True:
        with session_scope() as session:
            claim = (
                sa.select(C.id)
                .where(C.period_seconds == 60, C.period_start < minutes_before)
                .order_by(C.id)
                .limit(BATCH)
            )
            rows = session.execute(
                sa.delete(TABLE).where(C.id.in_(claim.scalar_subquery())).returning(*TABLE.c)
            ).all()
            hours: dict[Key, Sums] = {}
            for row in rows:
                key = (row.object_id, row.version, row.function, _hour(row.period_start))
                sums = sums_of(row)
                if key in hours:
                    hours[key].merge(sums)
                else:
                    hours[key] = sums
            merge_in(session, hours, period_seconds=3600)
        rolled += len(rows)
        if len(rows) < BATCH:
            break
    with session_scope() as session:
        expired = session.execute(
            sa.delete(TABLE).where(C.period_seconds == 3600, C.period_start < hours_before)
        ).rowcount
    return {"minutes_rolled_up": rolled, "hours_deleted": int(expired or 0)}
