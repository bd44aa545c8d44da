"""Watching the objects themselves: monitors on an object's calls, and failing new versions.

A monitor's metric can be an object's own behaviour over a window (`Metric.OBJECT_*`): its
failed calls (`object.errors`), the percent of its calls that failed (`object.error_rate`,
read as 0 below OBJECT_FAILING_MIN_CALLS calls) or its p95 latency in ms (`object.latency`),
for one object (`condition["object"]`, its slug) or for any object (the worst one counts).
They are measured from the per-minute call metrics (`backend.metrics.queries`) and are
edge-triggered like every metric monitor (`dispatcher._edge`).

A version deployed within ROLLBACK_OFFER_HOURS is *noticeably worse* (a regression) when,
since its deploy, it had at least REGRESSION_MIN_CALLS calls and its error rate is both at
least REGRESSION_ERROR_RATIO times and at least REGRESSION_ERROR_DIFFERENCE above the rate of
the version live before it (over the ROLLBACK_OFFER_HOURS before the deploy). Then:

- an alert about that object offers "reply ROLLBACK and your PIN (or press 1) to go back to
  v4" (the offer rides on the notification, `alerts.rollback_offer` finds it again);
- `watch_versions` (the schedule, with the metric monitors) records `object.failing` once per
  live version, and, when the owner turned on automatic rollback, rolls back and deploys as
  the system (`audit.AUTO_ROLLBACK`) with the numbers as its reason.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from backend.access import audit
from backend.config import get_settings
from backend.db import session_scope
from backend.enums import OBJECT_METRICS, DeploymentStatus, EventName, Metric, ObjectKind
from backend.errors import InvalidInput, NotFound, ProductError
from backend.events import activity
from backend.metrics.queries import WindowStats, window_stats
from backend.models import AuditEntry, Deployment, DurableObject, ObjectVersion, utcnow
from backend.monitoring.messages import Message
from backend.objects import deploy, store
from backend.urls import public_url

log = logging.getLogger(__name__)


def is_object_metric(condition: dict[str, Any] | None) -> bool:
    """Whether a monitor's condition is on an object's calls."""
    condition = condition or {}
    return condition.get("kind") == "metric" and condition.get("metric") in OBJECT_METRICS


def find_object(session: Session, words: str) -> DurableObject:
    """The object `words` name: its slug, or its name or slug with spaces, case and
    punctuation ignored ("payment API" -> payment-api); `NotFound` otherwise."""
    try:
        return store.get_object(session, words.strip())
    except NotFound:
        pass
    key = _key(words)
    found = [
        obj
        for obj in store.list_objects(session)
        if obj.kind != ObjectKind.MONITOR and key in (_key(obj.slug), _key(obj.name))
    ]
    if len(found) == 1:
        return found[0]
    raise NotFound(f"no object called {words.strip()!r}")


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", re.sub(r"^(?:the|my|our) ", "", text.strip().lower()))


def window_of(condition: dict[str, Any]) -> int:
    return int(condition.get("window_minutes") or get_settings().object_watch_window_minutes)


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class Reading:
    """A metric of one object (the worst one, for "any object") and what it was measured
    from; `obj` None when no object was measured."""

    value: float
    obj: DurableObject | None = None
    stats: WindowStats | None = None


def value_of(metric: str, stats: WindowStats) -> float:
    """The metric's value for one object's window."""
    if metric == Metric.OBJECT_ERRORS:
        return float(stats.errors)
    if metric == Metric.OBJECT_ERROR_RATE:
        if stats.calls < get_settings().object_failing_min_calls:
            return 0.0
        return round(100.0 * stats.error_rate, 2)
    if metric == Metric.OBJECT_LATENCY:
        return float(stats.p95_ms or 0.0)
    raise ValueError(f"not an object metric: {metric!r}")


def _watched(session: Session, condition: dict[str, Any]) -> list[DurableObject]:
    slug = condition.get("object")
    if slug:
        try:
            return [store.get_object(session, slug)]
        except NotFound:
            return []
    return [
        obj
        for obj in store.list_objects(session)
        if obj.kind != ObjectKind.MONITOR and obj.deployed_version
    ]


def measure(
    session: Session, condition: dict[str, Any], *, as_of: datetime | None = None
) -> Reading:
    """The object metric of `condition` over its window ending at `as_of` (default: now)."""
    as_of = as_of or utcnow()
    since = as_of - timedelta(minutes=window_of(condition))
    best = Reading(0.0)
    for obj in _watched(session, condition):
        stats = window_stats(obj.id, since, as_of)
        value = value_of(condition["metric"], stats)
        if best.obj is None or value > best.value:
            best = Reading(value, obj, stats)
    return best


# --- regressions and rollback offers -----------------------------------------------------------


@dataclass
class Regression:
    """A recently deployed version failing noticeably more than the one before it."""

    obj: DurableObject
    version: int
    previous_version: int
    deployed_at: datetime
    new: WindowStats
    old: WindowStats

    def offer(self) -> dict[str, Any]:
        """What an alert carries so a reply can take it up (`alerts.rollback_offer`)."""
        return {
            "slug": self.obj.slug,
            "name": self.obj.name,
            "version": self.previous_version,
            "live_version": self.version,
        }

    def reason(self) -> str:
        return (
            f"v{self.version} failed {_percent(self.new.error_rate)} of {self.new.calls} calls "
            f"since its deploy; v{self.previous_version} failed "
            f"{_percent(self.old.error_rate)} before it"
        )


def _percent(rate: float) -> str:
    return f"{100 * rate:.0f}%"


def _minute(when: datetime) -> datetime:
    return when.replace(second=0, microsecond=0)


def regression(session: Session, obj: DurableObject, *, now: datetime | None = None):
    """The object's live version as a `Regression`, or None when it is older than
    ROLLBACK_OFFER_HOURS, has no version before it, or isn't noticeably worse (module doc)."""
    settings = get_settings()
    now = now or utcnow()
    live = session.exec(
        select(Deployment).where(
            Deployment.object_id == obj.id, Deployment.status == DeploymentStatus.LIVE
        )
    ).first()
    hours = timedelta(hours=settings.rollback_offer_hours)
    if live is None or live.finished_at is None or live.finished_at < now - hours:
        return None
    before = session.exec(
        select(Deployment)
        .where(
            Deployment.object_id == obj.id,
            col(Deployment.id) < live.id,
            col(Deployment.version_id) != live.version_id,
            col(Deployment.status).in_([DeploymentStatus.SUPERSEDED, DeploymentStatus.ROLLED_BACK]),
        )
        .order_by(col(Deployment.id).desc())
        .limit(1)
    ).first()
    if before is None:
        return None
    version = session.get(ObjectVersion, live.version_id).number
    previous = session.get(ObjectVersion, before.version_id).number
    # Whole minutes (the metrics' resolution); the version filter keeps the two apart.
    new = window_stats(obj.id, _minute(live.finished_at), None, version=version)
    old = window_stats(
        obj.id,
        _minute(live.finished_at - hours),
        _minute(live.finished_at) + timedelta(minutes=1),
        version=previous,
    )
    if new.calls < settings.regression_min_calls:
        return None
    worse = new.error_rate - old.error_rate
    if (
        new.error_rate >= settings.regression_error_ratio * old.error_rate
        and worse >= settings.regression_error_difference
    ):
        return Regression(obj, version, previous, live.finished_at, new, old)
    return None


def _already_recorded(session: Session, obj: DurableObject, since: datetime) -> bool:
    return (
        session.exec(
            select(AuditEntry.id).where(
                AuditEntry.action == EventName.OBJECT_FAILING,
                AuditEntry.object_id == obj.id,
                col(AuditEntry.created_at) >= since,
            )
        ).first()
        is not None
    )


def watch_versions() -> int:
    """The schedule's look at recently deployed versions: each regression is recorded once
    as `object.failing`, and rolled back by the system where the owner allowed it; how many
    were found."""
    with session_scope() as session:
        slugs = [
            obj.slug
            for obj in store.list_objects(session)
            if obj.kind != ObjectKind.MONITOR and obj.deployed_version
        ]
    found = 0
    for slug in slugs:
        try:
            found += _watch_one(slug)
        except ProductError as exc:  # e.g. the rollback was refused: the others go on
            log.warning("watching %s: %s", slug, exc)
    return found


def _watch_one(slug: str) -> bool:
    with session_scope() as session:
        obj = store.get_object(session, slug)
        bad = regression(session, obj)
        if bad is None or _already_recorded(session, obj, bad.deployed_at):
            return False
        rolled_back = False
        if obj.auto_rollback:
            deploy.schedule_rollback(
                session,
                slug,
                bad.previous_version,
                actor=audit.AUTO_ROLLBACK,
                reason=f"automatic rollback: {bad.reason()}",
            )
            rolled_back = True
        activity.record(
            session,
            audit.AUTO_ROLLBACK if rolled_back else audit.SYSTEM,
            EventName.OBJECT_FAILING,
            object_id=obj.id,
            detail={
                "slug": slug,
                "version": bad.version,
                "previous_version": bad.previous_version,
                "calls": bad.new.calls,
                "errors": bad.new.errors,
                "error_rate": round(bad.new.error_rate, 4),
                "previous_error_rate": round(bad.old.error_rate, 4),
                "function": bad.new.last_error_function,
                "last_error": bad.new.last_error,
                "rolled_back": rolled_back,
            },
        )
        return True


# --- what an alert says ------------------------------------------------------------------------

_UNITS = {Metric.OBJECT_LATENCY: " ms", Metric.OBJECT_ERROR_RATE: "%"}


def _shown(value: float, metric: str) -> str:
    number = int(value) if float(value).is_integer() else round(value, 1)
    return f"{number:,}{_UNITS.get(metric, '')}"


def alert(
    session: Session, monitor_id: int, condition: dict[str, Any], *, resolved: bool
) -> Message:
    """The message of an object monitor crossing its threshold (or going back): the object,
    its version and function, the numbers, the last error, and, for a failing new version,
    the offer to roll back (`Message.offer`)."""
    reading = measure(session, condition)
    metric = condition["metric"]
    window = window_of(condition)
    link = public_url(f"/monitors/{monitor_id}")
    obj, stats = reading.obj, reading.stats
    name = obj.name if obj else (condition.get("object_name") or "No object")
    if obj is not None:
        link = public_url(f"/objects/{obj.slug}")
    threshold = _shown(float(condition.get("value") or 0), metric)
    if resolved:
        short = (
            f"Resolved: {name} is back under {threshold} "
            f"({_what(metric)} now {_shown(reading.value, metric)} over {window} minutes)."
        )
        return Message(subject=short[:120], short=short, full=f"{short}\n\n{link}", link=link)
    facts = []
    if stats is not None:
        facts.append(
            f"{stats.errors} of {stats.calls} calls failed, p95 "
            f"{_shown(float(stats.p95_ms or 0), Metric.OBJECT_LATENCY)}"
        )
        if obj is not None and obj.deployed_version:
            facts.append(f"Live version {obj.deployed_version}")
        if stats.last_error:
            where = [f"version {stats.last_error_version}"] if stats.last_error_version else []
            if stats.last_error_function:
                where.append(f"function {stats.last_error_function}")
            said = f" ({', '.join(where)})" if where else ""
            facts.append(f"Last error{said}: {stats.last_error[:200]}")
    head = (
        f"{name}: {_what(metric)} {_shown(reading.value, metric)} over the last {window} "
        f"minutes (threshold {threshold})."
    )
    short = " ".join([head, *(f"{fact}." if not fact.endswith(".") else fact for fact in facts)])
    offer = None
    if obj is not None and not obj.auto_rollback:
        bad = regression(session, obj)
        if bad is not None:
            offer = bad.offer()
            short += (
                f" Version {bad.version} fails more than version {bad.previous_version} did "
                f"({_percent(bad.new.error_rate)} of calls against "
                f"{_percent(bad.old.error_rate)})."
            )
    full = f"{short}\n\nMonitor {monitor_id}: {public_url(f'/monitors/{monitor_id}')}\n{link}"
    return Message(subject=head[:120], short=short, full=full, link=link, offer=offer)


def _what(metric: str) -> str:
    return {
        Metric.OBJECT_ERRORS: "failed calls",
        Metric.OBJECT_ERROR_RATE: "error rate",
        Metric.OBJECT_LATENCY: "p95 latency",
    }[metric]


def condition_for(
    session: Session,
    metric: str,
    op: str,
    value: float | None,
    window_minutes: int | None,
    object_words: str | None,
) -> dict[str, Any]:
    """The object metric condition (with the object resolved by slug or name; None: any
    object); a missing value of `object.error_rate` is OBJECT_FAILING_ERROR_PERCENT."""
    if value is None:
        if metric != Metric.OBJECT_ERROR_RATE:
            raise InvalidInput("a metric needs a value, e.g. more than 3 errors")
        value = get_settings().object_failing_error_percent
    condition: dict[str, Any] = {
        "kind": "metric",
        "metric": str(Metric(metric)),
        "op": op,
        "value": value,
        "window_minutes": window_minutes or get_settings().object_watch_window_minutes,
        "object": None,
        "object_name": None,
    }
    if object_words:
        obj = find_object(session, object_words)
        condition.update(object=obj.slug, object_name=obj.name)
    return condition
