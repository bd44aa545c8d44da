"""Every call turn and message, as it happened (an Interaction row), and the per-number limit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Select, func
from sqlmodel import Session, col, select

from backend.config import get_settings
from backend.enums import Channel
from backend.models import Interaction, User, utcnow

TRANSCRIPT_MAX = 2000
#: The outcome of a request turned away by the per-number limit.
RATE_LIMITED_OUTCOME = "rate_limited"


def row(
    *,
    channel: Channel,
    phone: str,
    user: User | int | None,
    sid: str,
    step: str,
    transcript: str = "",
    confidence: float | None = None,
    command: dict[str, Any] | None = None,
    outcome: str = "",
    reply: str = "",
    direction: str = "in",
) -> Interaction:
    """One Interaction row, timed now, in no session yet (`user`: the person or their id)."""
    return Interaction(
        channel=str(channel),
        direction=direction,
        phone=(phone or "")[:32],
        user_id=user.id if isinstance(user, User) else user,
        provider_sid=(sid or "")[:64],
        step=step[:32],
        transcript=(transcript or "")[:TRANSCRIPT_MAX],
        confidence=confidence,
        command=command,
        outcome=str(outcome)[:32],
        reply=reply,
    )


def record(session: Session, **fields: Any) -> Interaction:
    """Add one Interaction row (the fields of `row`) to the caller's transaction."""
    interaction = row(**fields)
    session.add(interaction)
    return interaction


#: The steps a person starts: a text message, a call. Only these count toward the
#: per-number limit: the turns inside a call (what they say, their PIN, the keypad) and
#: Twilio's own status callbacks are not requests, and a call is never cut off for them.
COUNTED_STEPS = (MESSAGE_STEP, GREET_STEP) = ("message", "greet")


def recent_count(phone: str) -> Select:
    """How many messages and calls this number started in the last minute (numbers we can't
    tell apart, like withheld ones, share one count). Requests that were turned away don't
    count: a number is never kept out longer than a minute."""
    since = utcnow() - timedelta(minutes=1)
    return (
        select(func.count())
        .select_from(Interaction)
        .where(
            Interaction.phone == (phone or "")[:32],
            Interaction.direction == "in",
            col(Interaction.step).in_(COUNTED_STEPS),
            Interaction.outcome != RATE_LIMITED_OUTCOME,
            col(Interaction.created_at) >= since,
        )
    )


def is_over_limit(recent: int) -> bool:
    """Whether `recent` requests in the last minute (`recent_count`) reach the limit."""
    return int(recent) >= get_settings().phone_rate_limit_per_minute


def over_limit(session: Session, phone: str) -> bool:
    """Whether this number already sent PHONE_RATE_LIMIT_PER_MINUTE requests in the last
    minute (`recent_count`)."""
    return is_over_limit(session.exec(recent_count(phone)).one())


RATE_LIMITED = "You've sent a lot of requests in the last minute. Please wait a moment."
UNKNOWN_CALLER = (
    "Sorry, I don't recognise this number. Add and verify it on your profile page in the web "
    "app, then try again. Goodbye."
)
