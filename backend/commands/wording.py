"""How the product says things aloud: events, channels, monitors and the help it offers.

One place, so a spoken answer, an SMS and a web page describe the same thing the same way.
"""

from __future__ import annotations

from typing import Any

from backend.enums import OBJECT_METRICS, Channel, EventName, Metric

EVENT_PHRASES: dict[str, str] = {
    EventName.USER_CREATED: "a new user signs up",
    EventName.PAYMENT_FAILED: "a payment fails",
    EventName.PAYMENT_SUCCEEDED: "a payment goes through",
    EventName.OBJECT_DEPLOYED: "an object is deployed",
    EventName.DEPLOYMENT_FAILED: "a deployment fails",
    EventName.MODIFICATION_AWAITING_APPROVAL: "a change is waiting for approval",
    EventName.MODIFICATION_APPLIED: "a change is applied",
    EventName.MODIFICATION_FAILED: "a change fails",
    EventName.MODIFICATION_REJECTED: "a change is rejected",
    EventName.TASK_FAILED: "a background task fails",
    EventName.OBJECT_CREATED: "an object is created",
    EventName.OBJECT_EDITED: "an object is edited",
    EventName.OBJECT_FAILING: "a new version of an object fails more than the one before it",
}
METRIC_PHRASES: dict[str, str] = {
    Metric.USERS_COUNT: "the number of users",
    Metric.PAYMENTS_FAILED_COUNT: "the number of failed payments",
}
OP_PHRASES = {
    "==": "is",
    "!=": "is not",
    ">": "is more than",
    ">=": "is at least",
    "<": "is less than",
    "<=": "is at most",
    "contains": "contains",
    "endswith": "ends with",
}
NOTIFY_PHRASES: dict[str, str] = {
    Channel.VOICE: "call you",
    Channel.SMS: "text you",
    Channel.EMAIL: "email you",
    Channel.SLACK: "post to Slack",
    Channel.GITHUB: "open a GitHub issue",
}

HELP = (
    "You can say things like: call me when a new user signs up; how many users are there; "
    "create a weather widget that shows the forecast; update the calculator to round to two "
    "places; deploy the calculator; what's the status of my request; list my monitors; "
    "pause monitor 3."
)
REPHRASE = (
    "Sorry, I didn't understand that. Try: how many users are there, call me when a payment "
    "fails, or update the calculator to round to two places."
)


def event_phrase(event: str) -> str:
    return EVENT_PHRASES.get(event, f"{event} happens")


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def filters_phrase(filters: list[dict[str, Any]]) -> str:
    """ " where amount is more than 500 and currency is usd", or ""."""
    parts = []
    for item in filters:
        value = item.get("value")
        shown = str(value).lower() if isinstance(value, bool) else _number(value)
        field = str(item.get("field", "")).replace("_", " ")
        parts.append(f"{field} {OP_PHRASES.get(item.get('op'), item.get('op'))} {shown}")
    return f" where {' and '.join(parts)}" if parts else ""


def _who_signs_up(filters: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """ "an admin signs up" for a sign-up filtered on is_admin (the filters left over)."""
    for item in filters:
        if item.get("field") == "is_admin" and item.get("op") in ("==", "!="):
            value = item.get("value")
            truthy = value is True or str(value).strip().lower() in ("true", "1", "yes")
            admin = truthy == (item.get("op") == "==")
            rest = [other for other in filters if other is not item]
            who = "an admin" if admin else "a new user who isn't an admin"
            return f"{who} signs up", rest
    return event_phrase(EventName.USER_CREATED), filters


def condition_phrase(event: str, condition: dict[str, Any]) -> str:
    """ "an admin signs up", "a payment fails where amount is more than 500", "the number of
    users is more than 1,000"."""
    if condition.get("kind") == "metric" and condition.get("metric") in OBJECT_METRICS:
        return _object_phrase(condition)
    if condition.get("kind") == "metric":
        metric = METRIC_PHRASES.get(condition.get("metric"), condition.get("metric"))
        op = OP_PHRASES.get(condition.get("op"), condition.get("op"))
        window = condition.get("window_minutes")
        within = f" in the last {window} minutes" if window else ""
        return f"{metric}{within} {op} {_number(condition.get('value'))}"
    filters = condition.get("filters") or []
    if event == EventName.USER_CREATED:
        phrase, filters = _who_signs_up(filters)
        return phrase + filters_phrase(filters)
    return event_phrase(event) + filters_phrase(filters)


def _object_phrase(condition: dict[str, Any]) -> str:
    """ "the Weather widget fails more than 3 times in 5 minutes", "any object's p95 latency
    over 5 minutes is more than 500 ms", "any object starts failing (20% of its calls...)"."""
    who = condition.get("object_name") or "any object"
    window = condition.get("window_minutes")
    within = f" in {window} minutes" if window else ""
    op = OP_PHRASES.get(condition.get("op"), condition.get("op"))
    value = _number(condition.get("value"))
    metric = condition.get("metric")
    if metric == Metric.OBJECT_ERRORS:
        return f"{who}'s failed calls{within} {op} {value}"
    if metric == Metric.OBJECT_ERROR_RATE:
        share = op.removeprefix("is ")
        return f"{who} starts failing ({share} {value}% of its calls fail{within})"
    over = f" over {window} minutes" if window else ""
    return f"{who}'s p95 latency{over} {op} {value} ms"
