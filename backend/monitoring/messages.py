"""What a notification says: what happened, in words a person would use, with the event's
main facts; short for a call or an SMS, fuller for an email or a GitHub issue, with a link
to the product's page for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.commands.wording import condition_phrase, event_phrase
from backend.enums import EventName
from backend.urls import public_url

#: How many of a burst's events are named before "and N more".
NAMED = 2


@dataclass(frozen=True)
class Message:
    subject: str  # an email's subject, a GitHub issue's title
    short: str  # a call or an SMS
    full: str  # an email, a Slack post, a GitHub issue
    link: str
    #: A failing new version's rollback, offered with the alert ({"slug", "name", "version":
    #: the one to go back to, "live_version"}); None when there is nothing to offer.
    offer: dict[str, Any] | None = None


def _amount(payload: dict[str, Any]) -> str:
    amount, currency = payload.get("amount"), payload.get("currency") or ""
    if amount is None:
        return "a payment"
    shown = f"{amount:,.2f}" if isinstance(amount, int | float) else str(amount)
    return f"{shown} {currency}".strip()


def _who(payload: dict[str, Any]) -> str:
    return str(payload.get("email") or payload.get("name") or "someone")


def fact(name: str, payload: dict[str, Any]) -> str:
    """One event's main facts as a sentence."""
    if name == EventName.USER_CREATED:
        admin = "as an admin" if payload.get("is_admin") else "not as an admin"
        who = payload.get("name") or "Someone"
        email = f" ({payload['email']})" if payload.get("email") else ""
        return f"New user signed up: {who}{email}, {admin}."
    if name == EventName.PAYMENT_FAILED:
        customer = payload.get("customer") or "a customer"
        reason = payload.get("reason") or "no reason given"
        return f"A payment of {_amount(payload)} from {customer} failed: {reason}."
    if name == EventName.PAYMENT_SUCCEEDED:
        customer = payload.get("customer") or "a customer"
        return f"A payment of {_amount(payload)} from {customer} went through."
    if name == EventName.OBJECT_DEPLOYED:
        return f"{payload.get('slug', 'An object')} version {payload.get('version', '?')} is live."
    if name == EventName.DEPLOYMENT_FAILED:
        last = (str(payload.get("log") or "").strip().splitlines() or ["no log"])[-1][:200]
        slug, version = payload.get("slug", "an object"), payload.get("version", "?")
        return f"Deploying {slug} version {version} failed: {last}"
    if name == EventName.MODIFICATION_AWAITING_APPROVAL:
        score = payload.get("overall_score")
        scored = f" (overall score {score:.2f})" if isinstance(score, int | float) else ""
        return (
            f"Change number {payload.get('modification_id', '?')} to "
            f"{payload.get('slug', 'an object')} is waiting for approval{scored}."
        )
    if name == EventName.TASK_FAILED:
        error = (str(payload.get("error") or "").splitlines() or ["no reason given"])[0][:200]
        return (
            f"Task {payload.get('task_id', '?')} ({payload.get('kind', 'a job')}) failed: {error}"
        )
    facts = ", ".join(
        f"{key} {value}" for key, value in payload.items() if key not in ("actor_user_id",)
    )
    return f"{event_phrase(name).capitalize()}: {facts[:300]}."


def _burst(name: str, payloads: list[dict[str, Any]]) -> str:
    """ "3 new users signed up: ada@…, bob@… and 1 more." and the like."""
    count = len(payloads)
    if name == EventName.USER_CREATED:
        head = f"{count} new users signed up"
        names = [_who(p) for p in payloads]
    elif name == EventName.PAYMENT_FAILED:
        head = f"{count} payments failed"
        names = [f"{_amount(p)} from {p.get('customer') or 'a customer'}" for p in payloads]
    else:
        head = f"{count} times: {event_phrase(name)}"
        names = [fact(name, p).rstrip(".") for p in payloads]
    more = count - NAMED
    if more > 0:
        return f"{head}: {', '.join(names[:NAMED])} and {more} more."
    return f"{head}: " + " and ".join(names) + "."


def for_events(monitor_id: int, name: str, payloads: list[dict[str, Any]]) -> Message:
    """The message of a firing that covers these events (one, or a burst)."""
    link = public_url(f"/monitors/{monitor_id}")
    if len(payloads) == 1:
        short = fact(name, payloads[0])
        full = short  # one event: its sentence once (the channel adds the link)
    else:
        short = _burst(name, payloads)
        lines = [fact(name, payload) for payload in payloads[:20]]
        if len(payloads) > 20:
            lines.append(f"... and {len(payloads) - 20} more.")
        full = "\n".join([short, "", *lines])
    return Message(subject=short[:120], short=short, full=_signed(full, monitor_id), link=link)


def _signed(text: str, monitor_id: int) -> str:
    """The fuller text with the monitor it came from named; its link is added by the channel
    (email, Slack and GitHub each put `Message.link` under the text), so it isn't repeated.
    No line starts with "From ": mail transports quote such a line as ">From"."""
    return f"{text}\n\nSent by monitor {monitor_id}."


def for_metric(
    monitor_id: int, event: str, condition: dict[str, Any], value: float, resolved: bool
) -> Message:
    """The message of a metric crossing its threshold, or going back ("resolved")."""
    link = public_url(f"/monitors/{monitor_id}")
    shown = int(value) if float(value).is_integer() else round(value, 2)
    what = condition_phrase(event, condition)
    if resolved:
        short = f"Resolved: it is no longer true that {what} (now {shown:,})."
    else:
        short = f"Now {what}: it is {shown:,}."
    return Message(subject=short[:120], short=short, full=_signed(short, monitor_id), link=link)
