"""The metrics a monitor can watch, measured from the database."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.enums import EventName, Metric
from backend.models import Event, User, utcnow


def measure(
    session: Session,
    metric: str,
    window_minutes: int | None = None,
    *,
    as_of: datetime | None = None,
) -> float:
    """The metric's value at `as_of` (default: now); failed payments within the window before
    it, when one is given. Measured as of an event, a burst dispatched late still crosses the
    threshold at the event that crossed it."""
    as_of = as_of or utcnow()
    if metric == Metric.USERS_COUNT:
        statement = select(func.count()).select_from(User).where(col(User.created_at) <= as_of)
        return float(session.exec(statement).one())
    if metric == Metric.PAYMENTS_FAILED_COUNT:
        statement = (
            select(func.count())
            .select_from(Event)
            .where(Event.name == EventName.PAYMENT_FAILED, col(Event.created_at) <= as_of)
        )
        if window_minutes:
            since = as_of - timedelta(minutes=window_minutes)
            statement = statement.where(col(Event.created_at) >= since)
        return float(session.exec(statement).one())
    raise ValueError(f"unknown metric {metric!r}")
