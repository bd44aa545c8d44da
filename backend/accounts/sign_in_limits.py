"""Repeated wrong passwords are slowed, then refused for a while: per account and per address.

After SIGN_IN_SLOW_AFTER wrong passwords in a row for an account, a try that comes before the
wait is over is refused without looking at the password; the wait starts at
SIGN_IN_DELAY_SECONDS and doubles with each further wrong one. At SIGN_IN_LOCK_AFTER, sign-in
is refused for SIGN_IN_LOCK_MINUTES. One address (several people may share it) gets
SIGN_IN_ADDRESS_FACTOR times those counts. The counts live in the database, so every web
worker sees the same ones; they are forgotten once the last failure is older than the lock,
and an account's on a right password.

Failures are counted after the password was checked, so a burst of simultaneous tries is
counted once they are answered: the limits bound sustained guessing, which is what matters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from backend.accounts import users
from backend.config import get_settings
from backend.errors import InvalidInput, ProductError
from backend.models import SignInFailures, utcnow

MAX_KEY_TEXT = 320  # what of a malformed email is kept as its key


class TooManyAttempts(ProductError):
    """Sign-in is slowed or refused for now after too many wrong passwords."""


@dataclass(frozen=True)
class Limit:
    """The counts for one key: an account ("for this account") or an address ("from this
    address"; `what` is said in the refusal)."""

    key: str
    what: str
    slow_after: int
    lock_after: int


def limits_for(email: str, address: str | None) -> list[Limit]:
    """The limits a sign-in as `email` from `address` counts against (the account's first).

    Unknown emails are counted like real ones, so the answers don't tell which exist.
    """
    settings = get_settings()
    slow, lock = settings.sign_in_slow_after, settings.sign_in_lock_after
    try:
        account = users.normalise_email(email)
    except InvalidInput:
        account = (email or "").strip().lower()[:MAX_KEY_TEXT]
    limits = [Limit(f"account:{account}", "for this account", slow, lock)]
    if address:
        times = settings.sign_in_address_factor
        limits.append(Limit(f"address:{address}", "from this address", slow * times, lock * times))
    return limits


def _lock() -> timedelta:
    return timedelta(minutes=get_settings().sign_in_lock_minutes)


def _wait(failures: int, limit: Limit) -> timedelta:
    """How long after the last failure the next try must come (nothing before slow_after)."""
    if failures < limit.slow_after:
        return timedelta(0)
    seconds = get_settings().sign_in_delay_seconds * 2 ** min(failures - limit.slow_after, 30)
    return min(timedelta(seconds=seconds), _lock())


def _in_words(delta: timedelta) -> str:
    seconds = max(1, math.ceil(delta.total_seconds()))
    if seconds < 120:
        return f"{seconds} second{'s' * (seconds != 1)}"
    return f"{math.ceil(seconds / 60)} minutes"


def _current(row: SignInFailures | None, now: datetime) -> int:
    """The failures that still count (none once the last is older than the lock)."""
    if row is None:
        return 0
    if row.locked_until and now < row.locked_until:
        return row.failures
    return 0 if now - row.last_failure_at >= _lock() else row.failures


def _row(session: Session, key: str) -> SignInFailures | None:
    return session.exec(select(SignInFailures).where(SignInFailures.key == key)).first()


def check(session: Session, limits: list[Limit], now: datetime | None = None) -> None:
    """Raise `TooManyAttempts` (saying how long to wait) while any of `limits` refuses a try."""
    now = now or utcnow()
    for limit in limits:
        row = _row(session, limit.key)
        if row is None:
            continue
        if row.locked_until and now < row.locked_until:
            raise TooManyAttempts(
                f"too many wrong passwords {limit.what}: sign-in is refused for now; "
                f"try again in {_in_words(row.locked_until - now)}"
            )
        ready_at = row.last_failure_at + _wait(_current(row, now), limit)
        if now < ready_at:
            raise TooManyAttempts(
                f"too many wrong passwords {limit.what}: wait {_in_words(ready_at - now)} "
                "before trying again"
            )


def locked_for(session: Session, key: str, now: datetime | None = None) -> str:
    """How long `key` stays locked, in words ("3 minutes"); "" when it is not locked now.

    For counters other than sign-in (PINs: "pin:<user id>") that word their own refusal.
    """
    now = now or utcnow()
    row = _row(session, key)
    if row is None or not row.locked_until or now >= row.locked_until:
        return ""
    return _in_words(row.locked_until - now)


def record_failure(
    session: Session, limits: list[Limit], now: datetime | None = None
) -> list[Limit]:
    """Count a wrong password against each of `limits`; returns those it locked just now."""
    now = now or utcnow()
    locked = []
    for limit in limits:
        row = _row(session, limit.key)
        if row is None:
            row = _insert(session, limit.key, now)
        failures = _current(row, now) + 1
        row.failures, row.last_failure_at = failures, now
        if failures >= limit.lock_after and not (row.locked_until and now < row.locked_until):
            row.locked_until = now + _lock()
            locked.append(limit)
        session.add(row)
    session.flush()
    return locked


def _insert(session: Session, key: str, now: datetime) -> SignInFailures:
    """A new row for `key`, or the one a simultaneous failure inserted first."""
    row = SignInFailures(key=key, failures=0, last_failure_at=now)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        row = _row(session, key)
        assert row is not None, "the key's row was inserted by the other try"
    return row


def forget(session: Session, limit: Limit) -> None:
    """A right password: the account's count starts again (an address's decays by itself)."""
    row = _row(session, limit.key)
    if row is not None:
        session.delete(row)
