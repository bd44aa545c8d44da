"""How an object is doing, answered from its call metrics: "how is the weather widget
doing?", "what's the status of the payment API?", "which objects are failing?".

Each answer covers the last hour (HEALTH_WINDOW): calls, failed calls, latency, the live
version and the last error; a sentence to speak and a longer text for SMS.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from backend.access import audit
from backend.metrics import queries
from backend.models import DurableObject, utcnow

Answer = tuple[str, str]  # (spoken sentence, longer text for SMS)
#: The window a spoken health answer covers.
HEALTH_WINDOW = timedelta(hours=1)
#: Objects named in "which objects are failing?".
LISTED = 5


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _ms(value: float | None) -> str:
    return f"{value:,.0f} ms" if value is not None else "no latency measured"


def _ago(when: datetime | None) -> str:
    if when is None:
        return ""
    minutes = max(0, int((utcnow() - when).total_seconds() // 60))
    if minutes < 1:
        return " just now"
    if minutes < 90:
        return f" {_plural(minutes, 'minute')} ago"
    return f" {minutes // 60} hours ago"


def _numbers(stats: queries.WindowStats) -> str:
    """ "120 calls in the last hour, 4 failed (3%), p95 210 ms"."""
    if not stats.calls:
        return "no calls in the last hour"
    failed = "none failed"
    if stats.errors:
        failed = f"{stats.errors} failed ({100 * stats.error_rate:.0f}%)"
    return f"{_plural(stats.calls, 'call')} in the last hour, {failed}, p95 {_ms(stats.p95_ms)}"


def _last_error(stats: queries.WindowStats) -> str:
    if not stats.last_error:
        return ""
    where = f" in {stats.last_error_function}" if stats.last_error_function else ""
    version = f" (version {stats.last_error_version})" if stats.last_error_version else ""
    return f" The last error{_ago(stats.last_error_at)}{where}{version}: {stats.last_error[:160]}"


def object_health(obj: DurableObject, actor: audit.Actor) -> Answer:
    """How `obj` did in the last hour."""
    if not obj.deployed_version:
        say = f"{obj.name} isn't deployed yet, so it takes no calls. Say deploy {obj.name}."
        return say, say
    stats = queries.object_stats(obj.slug, HEALTH_WINDOW, actor)
    totals = stats.totals
    say = f"{obj.name}, live version {obj.deployed_version}: {_numbers(totals)}."
    say += _last_error(totals)
    if say[-1] not in ".?!":
        say += "."
    lines = [say]
    for version, numbers in sorted(stats.by_version.items()):
        lines.append(f"v{version}: {_numbers(numbers)}")
    for function, numbers in sorted(stats.by_function.items()):
        lines.append(f"{function}: {_numbers(numbers)}")
    return say, "\n".join(lines)


def failing() -> Answer:
    """The objects with failed calls in the last hour, the worst first."""
    rows = queries.failing(HEALTH_WINDOW, limit=LISTED)
    if not rows:
        say = "No object had a failed call in the last hour."
        return say, say
    parts = [
        f"{row.object.name}: {row.stats.errors} of {_plural(row.stats.calls, 'call')} failed"
        for row in rows
    ]
    say = (
        f"{_plural(len(rows), 'object')} had failed calls in the last hour. "
        + "; ".join(parts)
        + "."
    )
    return say, say
