"""The metrics a monitor can watch, measured from the database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.enums import EventName, Metric
from backend.models import Event, User, utcnow


def measure(session: Session, metric: str, window_minutes: int | None = None) -> float:
    """The metric's value now (failed payments: within the window, when one is given)."""
    if metric == Metric.USERS_COUNT:
        return float(session.exec(select(func.count()).select_from(User)).one())
    if metric == Metric.PAYMENTS_FAILED_COUNT:
        statement = (
            select(func.count()).select_from(Event).where(Event.name == EventName.PAYMENT_FAILED)
        )
        if window_minutes:
            since = utcnow() - timedelta(minutes=window_minutes)
            statement = statement.where(col(Event.created_at) >= since)
        return float(session.exec(statement).one())
    raise ValueError(f"unknown metric {metric!r}")
