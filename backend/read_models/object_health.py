"""How objects are doing, as the pages and the CLI show it: an object's Health tab (calls and
errors per minute, latency percentiles, calls by version, deploys marked on the time axis),
the dashboard's busiest and failing objects, and `objects stats` as text."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import select

from backend.access.audit import SYSTEM
from backend.db import session_scope
from backend.enums import DeploymentStatus
from backend.errors import NotFound
from backend.metrics import queries
from backend.metrics.queries import ObjectStats, ObjectWindow, WindowStats
from backend.models import Deployment, DurableObject, ObjectVersion
from backend.read_models.display import when

#: The Health tab's window, in minutes (one point a minute).
HEALTH_MINUTES = 60
#: The dashboard's window.
DASHBOARD_WINDOW = timedelta(hours=1)
#: Deployments that went live (a later one may have replaced them since).
_WENT_LIVE = (DeploymentStatus.LIVE, DeploymentStatus.SUPERSEDED, DeploymentStatus.ROLLED_BACK)


def ms(value: float | None) -> str:
    """A latency as people read it: "12 ms", "1.4 s", "-" for none."""
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value / 1000:.1f} s"
    return f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"


def rate(stats: WindowStats) -> str:
    return f"{stats.error_rate * 100:.1f}%" if stats.calls else "-"


def kinds_text(stats: WindowStats) -> str:
    """ "2 timeout, 1 error" (the kinds that happened), "" for none."""
    return ", ".join(f"{count} {kind}" for kind, count in stats.errors_by_kind.items() if count)


@dataclasses.dataclass
class StatsRow:
    """One line of a table of stats (a function, a version, an object)."""

    label: str
    calls: int
    errors: int
    error_rate: str
    kinds: str
    p50: str
    p95: str
    p99: str
    last_error: str


def stats_row(label: str, stats: WindowStats) -> StatsRow:
    return StatsRow(
        label=label,
        calls=stats.calls,
        errors=stats.errors,
        error_rate=rate(stats),
        kinds=kinds_text(stats),
        p50=ms(stats.p50_ms),
        p95=ms(stats.p95_ms),
        p99=ms(stats.p99_ms),
        last_error=stats.last_error or "",
    )


@dataclasses.dataclass
class HealthView:
    """An object's Health tab."""

    deployed: bool
    live_version: int
    summary: StatsRow
    last_error_when: str
    #: One point a minute, oldest first: "minute" (HH:MM UTC), "calls", "ok", "errors",
    #: "p50", "p95", "p99" (ms, None without calls) and "v<N>" (calls of version N).
    points: list[dict[str, Any]]
    #: The "v<N>" keys present in `points`, oldest version first.
    versions: list[str]
    #: Deployments that went live in the window: "minute" (as in `points`) and "label".
    deploys: list[dict[str, str]]
    by_function: list[StatsRow]
    by_version: list[StatsRow]
    #: What to do when there is nothing to show yet; "" when there were calls.
    empty_note: str


def _minute(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def _label(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%H:%M")


def _deploys(object_id: int, since: datetime) -> list[dict[str, str]]:
    with session_scope() as session:
        rows = session.exec(
            select(Deployment.finished_at, ObjectVersion.number)
            .join(ObjectVersion, ObjectVersion.id == Deployment.version_id)
            .where(
                Deployment.object_id == object_id,
                Deployment.status.in_(_WENT_LIVE),
                Deployment.finished_at >= since,
            )
            .order_by(Deployment.finished_at)
        ).all()
    return [{"minute": _label(finished), "label": f"v{number}"} for finished, number in rows]


def read_health(slug: str, now: datetime | None = None) -> HealthView:
    """`slug`'s calls in the last HEALTH_MINUTES minutes, minute by minute."""
    now = now or datetime.now(UTC)
    with session_scope() as session:
        obj = session.exec(select(DurableObject).where(DurableObject.slug == slug)).first()
        if obj is None:
            raise NotFound(f"no object with slug {slug!r}")
        object_id, live = int(obj.id or 0), obj.deployed_version
    first = _minute(now) - timedelta(minutes=HEALTH_MINUTES - 1)
    points: dict[datetime, dict[str, Any]] = {}
    for offset in range(HEALTH_MINUTES):
        start = first + timedelta(minutes=offset)
        points[start] = {"minute": _label(start), "calls": 0, "ok": 0, "errors": 0}
        points[start].update(p50=None, p95=None, p99=None)
    for point in queries.series(object_id, first):
        slot = points.get(_minute(point.start))
        if slot is None:
            continue
        stats = point.stats
        slot.update(calls=stats.calls, errors=stats.errors, ok=stats.calls - stats.errors)
        slot.update(p50=_r(stats.p50_ms), p95=_r(stats.p95_ms), p99=_r(stats.p99_ms))
    numbers: set[int] = set()
    for point in queries.series(object_id, first, by_version=True):
        slot = points.get(_minute(point.start))
        if slot is not None and point.version is not None:
            numbers.add(point.version)
            slot[f"v{point.version}"] = point.stats.calls
    versions = [f"v{number}" for number in sorted(numbers)]
    for slot in points.values():
        for key in versions:
            slot.setdefault(key, 0)
    # Pages show what every signed-in person may read; the page itself checks sign-in.
    stats = queries.object_stats(slug, now - first, SYSTEM)
    if live is None:
        empty = "Not deployed yet: deploy a version on the Deployments tab, then call it."
    elif stats.totals.calls == 0:
        empty = "No calls yet in the last hour: try the HTTP API tab or the Console."
    else:
        empty = ""
    return HealthView(
        deployed=live is not None,
        live_version=live or 0,
        summary=stats_row("all calls", stats.totals),
        last_error_when=when(stats.totals.last_error_at, seconds=True),
        points=list(points.values()),
        versions=versions,
        deploys=_deploys(object_id, first),
        by_function=[stats_row(name, s) for name, s in stats.by_function.items()],
        by_version=[stats_row(f"v{number}", s) for number, s in stats.by_version.items()],
        empty_note=empty,
    )


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclasses.dataclass
class ObjectHealthRow:
    """A line of the dashboard's busiest or failing objects."""

    slug: str
    name: str
    calls: int
    errors: int
    error_rate: str
    p95: str
    last_error: str


def _object_row(row: ObjectWindow) -> ObjectHealthRow:
    return ObjectHealthRow(
        slug=row.object.slug,
        name=row.object.name,
        calls=row.stats.calls,
        errors=row.stats.errors,
        error_rate=rate(row.stats),
        p95=ms(row.stats.p95_ms),
        last_error=row.stats.last_error or "",
    )


@dataclasses.dataclass
class DashboardHealth:
    busiest: list[ObjectHealthRow]
    failing: list[ObjectHealthRow]


def read_dashboard_health(limit: int = 5) -> DashboardHealth:
    """The objects called most and those failing, in the last hour."""
    return DashboardHealth(
        busiest=[_object_row(row) for row in queries.busiest(DASHBOARD_WINDOW, limit)],
        failing=[_object_row(row) for row in queries.failing(DASHBOARD_WINDOW, limit)],
    )


def stats_text(stats: ObjectStats) -> str:
    """`objects stats` for people: the totals, then a table per function and per version."""
    totals = stats.totals
    live = f"v{stats.live_version}" if stats.live_version else "not deployed"
    lines = [
        f"{stats.slug} ({stats.name}), live {live}, since {when(stats.since)}",
        f"calls {totals.calls}, errors {totals.errors} ({rate(totals)})"
        + (f": {kinds_text(totals)}" if totals.errors else ""),
        f"latency p50 {ms(totals.p50_ms)}, p95 {ms(totals.p95_ms)}, p99 {ms(totals.p99_ms)}",
    ]
    if totals.last_error:
        lines.append(
            f"last error ({when(totals.last_error_at, seconds=True)}, "
            f"{totals.last_error_function} v{totals.last_error_version}): {totals.last_error}"
        )
    if not totals.calls:
        lines.append("no calls in this window")
        return "\n".join(lines)
    for title, rows in (
        ("function", [stats_row(name, s) for name, s in stats.by_function.items()]),
        ("version", [stats_row(f"v{n}", s) for n, s in stats.by_version.items()]),
    ):
        lines.append("")
        lines.append(_table(title, rows))
    return "\n".join(lines)


def _table(title: str, rows: list[StatsRow]) -> str:
    columns = [title, "calls", "errors", "rate", "p50", "p95", "p99"]
    cells = [
        [r.label, str(r.calls), str(r.errors), r.error_rate, r.p50, r.p95, r.p99] for r in rows
    ]
    widths = [max(len(c), *(len(cell[i]) for cell in cells)) for i, c in enumerate(columns)]
    out = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    out += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(out)
